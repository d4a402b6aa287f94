#include "connection_limiter.h"

#include <algorithm>

namespace sockchatd {

std::uint8_t ConnectionLimiter::ipv6PrefixLength() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::uint8_t>(std::min(limits_.ipv6PrefixLength, 128u));
}

std::string ConnectionLimiter::keyFor(const sockchat::net::SocketAddress& peer,
                                      unsigned ipv6PrefixLength) {
    return peer.networkString(ipv6PrefixLength);
}

ConnectionLimiter::Verdict ConnectionLimiter::tryAcquire(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (total_ >= limits_.maxTotal) return Verdict::tooManyTotal;
    auto& count = perAddress_[key];
    if (count >= limits_.maxPerAddress) {
        if (count == 0) perAddress_.erase(key);
        return Verdict::tooManyFromAddress;
    }
    ++count;
    ++total_;
    return Verdict::accepted;
}

void ConnectionLimiter::release(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = perAddress_.find(key);
    if (it == perAddress_.end()) return;
    if (--it->second == 0) perAddress_.erase(it);
    --total_;
}

void ConnectionLimiter::setLimits(Limits limits) {
    std::lock_guard lock(mutex_);
    limits_ = limits;
}

std::size_t ConnectionLimiter::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace sockchatd
