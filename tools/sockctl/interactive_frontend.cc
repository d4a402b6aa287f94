#include "interactive_frontend.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "history_file.h"
#include "line_wrap.h"

namespace sockctl {

InteractiveFrontend::InteractiveFrontend(Renderer& renderer)
    // SIGTERM and SIGHUP (terminal closed) too: leaving through the loop restores the terminal
    // and says goodbye to the server, where dying in a handler would leave raw mode behind.
    : signals_({SIGINT, SIGWINCH, SIGTERM, SIGHUP}), editor_("> "), renderer_(renderer) {
    editor_.setCompleter(&completer_);
    auto path = historyPath(std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
    auto error = path ? prepareHistoryFile(*path)
                      : std::optional<std::string>("neither XDG_STATE_HOME nor HOME is set");
    if (error)
        status("input history not kept: " + *error);
    else
        editor_.keepHistoryIn(*path);
}

void InteractiveFrontend::addPollFds(std::vector<pollfd>& fds, bool /*acceptInput*/) {
    // A person may type while sockctl reconnects; lines are checked when submitted.
    fds.push_back({STDIN_FILENO, POLLIN, 0});
    fds.push_back({signals_.fd(), POLLIN, 0});
}

std::vector<ChatFrontend::Input> InteractiveFrontend::handle(const pollfd* fds, std::size_t count) {
    std::vector<Input> inputs;
    // Keys before signals: a key typed between two Ctrl-Cs must disarm the second one even
    // when both arrive in one wake-up.
    // Every key already typed (a paste, fast typing), one libedit read each.
    if (count >= 1 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        interruptArmed_ = false;
        for (;;) {
            LineEditor::Input in = editor_.readKey();
            if (in.kind == LineEditor::Input::Kind::line)
                inputs.push_back({Input::Kind::line, std::move(in.text)});
            if (in.kind == LineEditor::Input::Kind::endOfInput) {
                inputs.push_back({Input::Kind::endOfInput, {}});
                break;
            }
            int pending = 0;
            if (::ioctl(STDIN_FILENO, FIONREAD, &pending) < 0 || pending <= 0) break;
        }
    }
    if (count >= 2 && (fds[1].revents & POLLIN)) {
        while (int sig = signals_.read()) {
            if (sig == SIGWINCH) {
                editor_.resize();
            } else if (sig == SIGINT && !interruptArmed_) {
                bool hadText = !editor_.lineEmpty();
                editor_.clearLine();
                if (!hadText) status("press Ctrl-C again or Ctrl-D to leave");
                interruptArmed_ = true;
            } else {  // a second Ctrl-C, SIGTERM, SIGHUP
                inputs.push_back({Input::Kind::endOfInput, {}});
            }
        }
    }
    return inputs;
}

void InteractiveFrontend::show(std::string_view lines) {
    // Wrapped here, at print time: the width is the terminal's now (SIGWINCH updates it).
    int columns = editor_.columns();
    std::string wrapped;
    for (std::size_t start = 0; start <= lines.size();) {
        std::size_t nl = lines.find('\n', start);
        if (nl == std::string_view::npos) nl = lines.size();
        if (!wrapped.empty()) wrapped += '\n';
        wrapped += wrapLine(lines.substr(start, nl - start), columns);
        start = nl + 1;
    }
    editor_.printAbove(wrapped);
}

void InteractiveFrontend::status(std::string_view text) {
    show(renderer_.renderStatus(text));
}

void InteractiveFrontend::setState(std::string_view nick, std::string_view room, bool connected) {
    // The prompt says where a line will go: "[#lobby] alice> ", or that it will go nowhere.
    std::string prompt;
    if (!connected)
        prompt = "[offline] ";
    else if (!room.empty())
        prompt = "[#" + std::string(room) + "] ";
    prompt += nick.empty() ? std::string("> ") : std::string(nick) + "> ";
    editor_.setPrompt(prompt);
    completer_.setSelf(nick);
}

}  // namespace sockctl
