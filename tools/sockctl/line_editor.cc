#include "line_editor.h"

#include <editline/readline.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>

namespace sockctl {
namespace {

LineEditor* active = nullptr;  // libedit's callback carries no context pointer

// Display columns of UTF-8 text, as libedit draws it: control characters take two (^X).
int displayWidth(std::string_view text) {
    std::mbstate_t state{};
    int width = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        wchar_t wc = 0;
        std::size_t n = std::mbrtowc(&wc, p, static_cast<std::size_t>(end - p), &state);
        if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
            state = {};
            width += 1;
            ++p;
            continue;
        }
        if (n == 0) n = 1;
        int w = ::wcwidth(wc);
        width += w < 0 ? 2 : w;
        p += n;
    }
    return width;
}

void writeOut(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

LineEditor::LineEditor(std::string prompt) : prompt_(std::move(prompt)) {
    // libedit decodes keystrokes by the locale's character set: without this, UTF-8 input
    // (é, ü, emoji) would be mangled byte by byte.
    std::setlocale(LC_CTYPE, "");
    // Signals arrive through the chat session's signalfd; libedit must not install handlers of
    // its own that would fight over SIGINT and SIGWINCH.
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_readline_name = "sockctl";  // "sockctl:" lines in ~/.editrc apply to us
    rl_instream = stdin;
    rl_outstream = stdout;
    stifle_history(1000);
    active = this;
    install();
}

LineEditor::~LineEditor() {
    // Leave the terminal as we found it: the prompt line gone, the cursor at column 0, cooked
    // mode back (rl_callback_handler_remove ends libedit's raw mode).
    eraseEditArea();
    std::fflush(stdout);
    rl_callback_handler_remove();
    active = nullptr;
}

void LineEditor::install() {
    // libedit's callback mode does not start a fresh line by itself after one was submitted
    // (it falls back to a blocking line read): removing and installing the handler resets the
    // line buffer, re-enters raw mode and draws the prompt.
    rl_callback_handler_remove();
    rl_callback_handler_install(prompt_.c_str(), &LineEditor::onLine);
    beforeCursor_.clear();
    lineEmpty_ = true;
    std::fflush(stdout);
}

void LineEditor::onLine(char* line) {
    if (!active) {
        std::free(line);
        return;
    }
    if (line == nullptr) {
        active->endOfInput_ = true;
        return;
    }
    active->submitted_ = std::string(line);
    std::free(line);
}

LineEditor::Input LineEditor::readKey() {
    submitted_.reset();
    endOfInput_ = false;
    // rl_callback_read_char updates rl_point/rl_end after a keystroke except when it leaves the
    // line empty (libedit returns early then). The sentinel tells the two apart.
    rl_end = -1;
    rl_callback_read_char();
    if (endOfInput_) return {Input::Kind::endOfInput, {}};
    if (submitted_) {
        Input in{Input::Kind::line, std::move(*submitted_)};
        submitted_.reset();
        if (!in.text.empty()) add_history(in.text.c_str());
        if (eraseSubmitted_) {
            // libedit has moved below the submitted line; take the whole line off the screen.
            int rows = (displayWidth(prompt_) + displayWidth(in.text)) / columns() + 1;
            writeOut("\r\x1b[" + std::to_string(rows) + "A\x1b[J");
        }
        install();
        return in;
    }
    if (rl_end < 0 || rl_line_buffer == nullptr) {
        beforeCursor_.clear();
        lineEmpty_ = true;
    } else {
        int point = std::clamp(rl_point, 0, rl_end);
        beforeCursor_.assign(rl_line_buffer, static_cast<std::size_t>(point));
        lineEmpty_ = rl_end == 0;
    }
    return {};
}

int LineEditor::columns() const {
    int rows = 0, cols = 0;
    rl_get_screen_size(&rows, &cols);
    if (cols <= 0) {
        winsize ws{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) cols = ws.ws_col;
    }
    return cols > 0 ? cols : 80;
}

int LineEditor::rowsAbove(std::string_view textBeforeCursor) const {
    // libedit wraps long lines onto further rows; the cursor sits on row (width / columns) of
    // the edit area, and the prompt starts that many rows up.
    return (displayWidth(prompt_) + displayWidth(textBeforeCursor)) / columns();
}

void LineEditor::eraseEditArea() {
    int up = rowsAbove(beforeCursor_);
    std::string seq = "\r";
    if (up > 0) seq += "\x1b[" + std::to_string(up) + "A";
    seq += "\x1b[J";  // clear from here to the end of the screen: every row of the edit area
    writeOut(seq);
}

void LineEditor::printAbove(std::string_view text) {
    eraseEditArea();
    // Raw mode may have output post-processing off, so every line ends in an explicit "\r\n".
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        out.append(text.substr(start, nl - start));
        out.append("\r\n");
        start = nl + 1;
    }
    writeOut(out);
    std::fflush(stdout);
    // Redraws prompt and line from libedit's own buffer, cursor included, starting at the
    // (fresh) row the cursor is on now.
    rl_forced_update_display();
    std::fflush(stdout);
}

void LineEditor::setPrompt(std::string prompt) {
    if (prompt == prompt_) return;
    eraseEditArea();  // measured with the old prompt
    prompt_ = std::move(prompt);
    rl_set_prompt(prompt_.c_str());
    rl_forced_update_display();
    std::fflush(stdout);
}

void LineEditor::clearLine() {
    eraseEditArea();
    install();
}

void LineEditor::resize() {
    rl_resize_terminal();
}

}  // namespace sockctl
