#pragma once
// Trace: sockfetch's -v output, in curl's shape: "* " for what the client does, "> " for the
// request head, "< " for response heads. Written to an fd (stderr) so it never mixes with the
// body on stdout. Disabled traces cost nothing but a branch.
#include <string_view>

namespace sockchat::http {

class Trace {
  public:
    explicit Trace(bool enabled, int fd = 2) : enabled_(enabled), fd_(fd) {}

    bool enabled() const { return enabled_; }
    void info(std::string_view line) const;          // "* line"
    void requestHead(std::string_view head) const;   // "> " before every line
    void responseHead(std::string_view head) const;  // "< " before every line

  private:
    void prefixed(std::string_view prefix, std::string_view block) const;

    bool enabled_;
    int fd_;
};

}  // namespace sockchat::http
