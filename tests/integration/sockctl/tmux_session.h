#pragma once
// TmuxSession: a program in a real terminal, for testing sockctl's interactive mode. tmux gives
// it a pty of a known size; the test types with send-keys and reads the screen with
// capture-pane. Each session has its own tmux server on a socket in its own temporary
// directory, so tests never share state with each other or with a tmux the developer is using,
// and leave nothing behind.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace sockctl_test {

using namespace std::chrono_literals;

class TmuxSession {
  public:
    // Runs shellCommand (via sh -c) in a detached session of columns x rows. The shell survives
    // Ctrl-C, so it can print what the program exited with.
    TmuxSession(const std::string& shellCommand, int columns = 100, int rows = 30);
    ~TmuxSession();  // kills the tmux server and with it the program
    TmuxSession(const TmuxSession&) = delete;
    TmuxSession& operator=(const TmuxSession&) = delete;

    // Types text literally (no key names).
    void type(const std::string& text);
    // Sends tmux key names: "Enter", "C-c", "C-d", "Left".
    void key(const std::string& keyName);
    // The visible screen, one line per row, trailing blanks trimmed.
    std::string screen();
    // The same with the cells' colours and attributes as escape sequences (capture-pane -e),
    // to see what is coloured.
    std::string screenWithEscapes();
    // Resizes the terminal (the program gets SIGWINCH).
    void resize(int columns, int rows);
    // Whether the program rang the terminal bell (tmux's window_bell_flag: set by a BEL, and
    // kept, as nobody looks at the detached session's window).
    bool bellRang();
    // Polls the screen (every 20 ms, bounded) until pred holds; returns the last screen seen.
    [[nodiscard]] std::string waitForScreen(const std::function<bool(const std::string&)>& pred,
                                            std::chrono::milliseconds timeout = 10s,
                                            bool* ok = nullptr);

  private:
    std::string tmux(const std::vector<std::string>& args);

    std::string dir_;     // private temp dir, removed with the session
    std::string socket_;  // tmux -S path inside it
};

}  // namespace sockctl_test
