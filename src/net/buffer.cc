#include "sockchat/net/buffer.h"

#include <algorithm>

namespace sockchat::net {

void Buffer::append(std::string_view bytes) {
    // Reclaim the consumed front before growing, so a long-lived connection that is always a
    // little behind does not grow its buffer without bound.
    if (start_ > 0 && data_.size() + bytes.size() > data_.capacity()) {
        data_.erase(0, start_);
        start_ = 0;
    }
    data_.append(bytes);
}

void Buffer::consume(std::size_t n) {
    start_ += std::min(n, size());
    if (start_ == data_.size()) clear();
}

void Buffer::clear() {
    data_.clear();
    start_ = 0;
}

}  // namespace sockchat::net
