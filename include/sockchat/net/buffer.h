#pragma once
// Buffer: a byte queue with a read cursor, for connection input and output. Appends go to the
// back, consumers take from the front; the front gap is reclaimed lazily so consume() is O(1).
#include <cstddef>
#include <string>
#include <string_view>

namespace sockchat::net {

class Buffer {
  public:
    std::size_t size() const { return data_.size() - start_; }
    bool empty() const { return size() == 0; }
    const char* data() const { return data_.data() + start_; }
    std::string_view view() const { return {data(), size()}; }

    void append(std::string_view bytes);
    void append(const char* bytes, std::size_t n) { append(std::string_view(bytes, n)); }
    // Drops n bytes from the front (n is clamped to size()).
    void consume(std::size_t n);
    void clear();

  private:
    std::string data_;
    std::size_t start_ = 0;
};

}  // namespace sockchat::net
