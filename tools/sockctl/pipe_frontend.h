#pragma once
// PipeFrontend: a script. Every input line from stdin is sent; chat output goes to stdout as
// plain lines (or raw JSON with --json), sockctl's own notices to stderr, so stdout stays
// parseable. Nothing here touches the terminal.
#include <string>

#include "chat_frontend.h"

namespace sockctl {

class PipeFrontend : public ChatFrontend {
  public:
    bool interactive() const override { return false; }
    void addPollFds(std::vector<pollfd>& fds, bool acceptInput) override;
    std::vector<Input> handle(const pollfd* fds, std::size_t count) override;
    void show(std::string_view lines) override;
    void status(std::string_view text) override;
    void setState(std::string_view, std::string_view, bool) override {}

  private:
    std::string pending_;  // bytes of a line not yet ended
    bool eof_ = false;
};

}  // namespace sockctl
