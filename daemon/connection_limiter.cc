#include "connection_limiter.h"

namespace sockchatd {

ConnectionLimiter::Verdict ConnectionLimiter::tryAcquire(const std::string& address) {
    std::lock_guard lock(mutex_);
    if (total_ >= maxTotal_) return Verdict::tooManyTotal;
    auto& count = perAddress_[address];
    if (count >= maxPerAddress_) return Verdict::tooManyFromAddress;
    ++count;
    ++total_;
    return Verdict::accepted;
}

void ConnectionLimiter::release(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto it = perAddress_.find(address);
    if (it == perAddress_.end()) return;
    if (--it->second == 0) perAddress_.erase(it);
    --total_;
}

void ConnectionLimiter::setLimits(std::size_t maxTotal, std::size_t maxPerAddress) {
    std::lock_guard lock(mutex_);
    maxTotal_ = maxTotal;
    maxPerAddress_ = maxPerAddress;
}

std::size_t ConnectionLimiter::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace sockchatd
