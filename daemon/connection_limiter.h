#pragma once
// ConnectionLimiter: the daemon-wide max_connections / max_connections_per_ip counts. Shared by
// all workers (thread-safe); a slot is taken at accept and given back when the connection ends.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sockchatd {

class ConnectionLimiter {
  public:
    enum class Verdict { accepted, tooManyTotal, tooManyFromAddress };

    ConnectionLimiter(std::size_t maxTotal, std::size_t maxPerAddress)
        : maxTotal_(maxTotal), maxPerAddress_(maxPerAddress) {}

    Verdict tryAcquire(const std::string& address);
    void release(const std::string& address);
    // New limits apply to new connections; existing ones are never cut by a lower limit.
    void setLimits(std::size_t maxTotal, std::size_t maxPerAddress);
    std::size_t total() const;

  private:
    mutable std::mutex mutex_;
    std::size_t maxTotal_;
    std::size_t maxPerAddress_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> perAddress_;
};

}  // namespace sockchatd
