#include "tmux_session.h"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "daemon_process.h"

namespace sockctl_test {

TmuxSession::TmuxSession(const std::string& shellCommand, int columns, int rows) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockctl-tmux-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    socket_ = dir_ + "/tmux.sock";
    // -f /dev/null: no user config; the pane runs the command with the test's environment
    // (ASAN_OPTIONS and the like included).
    auto r = sockchat::testing::runProgram(
        {TMUX_BIN, "-S", socket_, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x",
         std::to_string(columns), "-y", std::to_string(rows), "/bin/sh", "-c",
         // Ctrl-C in the pane signals the whole foreground group, the shell included; a trap
         // (not an ignore, which the program would inherit) keeps the shell alive to report
         // the program's exit.
         "trap : INT; " + shellCommand},
        10s);
    if (r.exitCode != 0) throw std::runtime_error("tmux new-session failed: " + r.stderrText);
}

TmuxSession::~TmuxSession() {
    // Best effort: a test that failed may have left no server to kill.
    (void)sockchat::testing::runProgram({TMUX_BIN, "-S", socket_, "kill-server"}, 10s);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);  // tmux leaves its socket file behind
}

std::string TmuxSession::tmux(const std::vector<std::string>& args) {
    std::vector<std::string> argv{TMUX_BIN, "-S", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = sockchat::testing::runProgram(argv, 10s);
    if (r.exitCode != 0)
        throw std::runtime_error("tmux " + args.front() + " failed: " + r.stderrText);
    return r.stdoutText;
}

void TmuxSession::type(const std::string& text) {
    tmux({"send-keys", "-t", "t", "-l", text});
}

void TmuxSession::key(const std::string& keyName) {
    tmux({"send-keys", "-t", "t", keyName});
}

std::string TmuxSession::screen() {
    return tmux({"capture-pane", "-p", "-t", "t"});
}

std::string TmuxSession::screenWithEscapes() {
    return tmux({"capture-pane", "-p", "-e", "-t", "t"});
}

void TmuxSession::resize(int columns, int rows) {
    tmux({"resize-window", "-t", "t", "-x", std::to_string(columns), "-y", std::to_string(rows)});
}

bool TmuxSession::bellRang() {
    return tmux({"display-message", "-p", "-t", "t", "#{window_bell_flag}"}) == "1\n";
}

std::string TmuxSession::waitForScreen(const std::function<bool(const std::string&)>& pred,
                                       std::chrono::milliseconds timeout, bool* ok) {
    // A terminal has no "output arrived" event to wait on; poll the screen with a deadline.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    for (;;) {
        last = screen();
        if (pred(last)) {
            if (ok) *ok = true;
            return last;
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        ::poll(nullptr, 0, 20);
    }
    if (ok) *ok = false;
    return last;
}

}  // namespace sockctl_test
