#pragma once
// InteractiveFrontend: a person at a terminal. Input is edited with libedit (history, cursor
// keys); incoming lines are printed above the prompt without disturbing the line being typed.
// Ctrl-D leaves; Ctrl-C clears the line, and a second Ctrl-C in a row leaves.
#include <memory>

#include "chat_frontend.h"
#include "line_editor.h"
#include "signal_fd.h"

namespace sockctl {

class InteractiveFrontend : public ChatFrontend {
  public:
    explicit InteractiveFrontend(bool colour);

    bool interactive() const override { return true; }
    void addPollFds(std::vector<pollfd>& fds, bool acceptInput) override;
    std::vector<Input> handle(const pollfd* fds, std::size_t count) override;
    void show(std::string_view lines) override;
    void status(std::string_view text) override;
    void setState(std::string_view nick, std::string_view room, bool connected) override;

  private:
    // Signals first: the SignalFd must block them before libedit takes the terminal.
    SignalFd signals_;
    LineEditor editor_;
    bool interruptArmed_ = false;  // the last key was Ctrl-C
    bool colour_;
};

}  // namespace sockctl
