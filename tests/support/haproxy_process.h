#pragma once
// HaproxyProcess: a real HAProxy (Debian's /usr/sbin/haproxy) of the test's own, in front of
// some servers: `mode tcp`, `balance roundrobin`, a frontend on a free loopback port. Its config
// and output live in a fresh temp dir; the constructor returns once the frontend accepts a
// connection (polled with a deadline), and quotes the output if HAProxy exits or stalls instead.
// The destructor kills it.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sockchat::testing {

class HaproxyProcess {
  public:
    // One `server` line per port, on 127.0.0.1, in this order (roundrobin follows it).
    explicit HaproxyProcess(const std::vector<std::uint16_t>& serverPorts);
    HaproxyProcess(const HaproxyProcess&) = delete;
    HaproxyProcess& operator=(const HaproxyProcess&) = delete;
    ~HaproxyProcess();

    std::uint16_t port() const { return port_; }  // the frontend, on 127.0.0.1
    const std::string& config() const { return config_; }
    std::string log() const;  // HAProxy's stdout and stderr

  private:
    void waitReady();
    void cleanUp();  // kills HAProxy, removes the temp dir

    std::string dir_;
    std::string config_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace sockchat::testing
