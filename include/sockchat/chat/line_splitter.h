#pragma once
// LineSplitter: turns a byte stream into lines for the chat protocol. Lines end in "\n" (a
// trailing "\r" is dropped). A line longer than the limit is reported once and discarded up to
// its newline, so one oversized paste costs one error, not the connection.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace sockchat::chat {

class LineSplitter {
  public:
    using LineHandler = std::function<void(std::string_view line)>;
    using OverlongHandler = std::function<void()>;

    explicit LineSplitter(std::size_t maxLineBytes) : max_(maxLineBytes) {}

    void setMaxLineBytes(std::size_t max) { max_ = max; }
    void feed(std::string_view bytes, const LineHandler& onLine, const OverlongHandler& onOverlong);
    // Treats what is buffered as a complete line (the partial-line timeout fired). Ends a
    // discarded overlong line too.
    // An unfinished line over the limit (it may hold one byte of slack for a "\r") is reported
    // as overlong, like a finished one.
    void flushPartial(const LineHandler& onLine, const OverlongHandler& onOverlong);
    bool hasPartial() const { return !partial_.empty() || discarding_; }

  private:
    std::size_t max_;
    std::string partial_;
    bool discarding_ = false;  // inside an overlong line: drop bytes until its newline
};

}  // namespace sockchat::chat
