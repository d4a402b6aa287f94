#pragma once
// InteractiveFrontend: a person at a terminal. Input is edited with libedit (history kept across
// runs, Tab completion of nicks and commands, cursor keys); incoming lines are wrapped to the
// terminal's width and printed above the prompt without disturbing the line being typed.
// Ctrl-D leaves; Ctrl-C clears the line, and a second Ctrl-C in a row leaves.
#include <memory>

#include "chat_frontend.h"
#include "completion.h"
#include "line_editor.h"
#include "renderer.h"
#include "signal_fd.h"

namespace sockctl {

class InteractiveFrontend : public ChatFrontend {
  public:
    explicit InteractiveFrontend(Renderer& renderer);

    bool interactive() const override { return true; }
    void addPollFds(std::vector<pollfd>& fds, bool acceptInput) override;
    std::vector<Input> handle(const pollfd* fds, std::size_t count) override;
    void show(std::string_view lines) override;
    void status(std::string_view text) override;
    void setState(std::string_view nick, std::string_view room, bool connected) override;
    void observe(const ChatEvent& event) override { completer_.learn(event); }

  private:
    // Signals first: the SignalFd must block them before libedit takes the terminal.
    SignalFd signals_;
    LineEditor editor_;
    bool interruptArmed_ = false;  // the last key was Ctrl-C
    Renderer& renderer_;
    Completer completer_;
};

}  // namespace sockctl
