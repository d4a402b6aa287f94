#include "line_editor.h"

#include <editline/readline.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstdlib>

#include "history_file.h"
#include "sockchat/text/utf8.h"
#include "text_width.h"

namespace sockctl {
namespace {

LineEditor* active = nullptr;  // libedit's callback carries no context pointer

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
    stifle_history(kHistoryEntries);
    active = this;
    install();
    // After install(): libedit exists now, and its readline emulation bound Tab to filename
    // completion, which this replaces.
    rl_add_defun("sockctl-complete", &LineEditor::onTab, '\t');
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
        remember(in.text);
        // libedit has moved below the submitted line; take the whole line off the screen: it
        // comes back from the server ("<alice> hi"), or as "(pending) hi" while offline.
        int rows = (displayWidth(prompt_) + displayWidth(in.text)) / columns() + 1;
        writeOut("\r\x1b[" + std::to_string(rows) + "A\x1b[J");
        install();
        return in;
    }
    if (completedJustNow_) {
        // onTab replaced the line; libedit does not update rl_point/rl_end after that.
        completedJustNow_ = false;
    } else if (rl_end < 0 || rl_line_buffer == nullptr) {
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

void LineEditor::keepHistoryIn(std::string path) {
    historyPath_ = std::move(path);
    read_history(historyPath_.c_str());
}

void LineEditor::remember(const std::string& line) {
    if (line.empty()) return;
    // Like a shell with ignoredups: Up after sending the same line five times should not take
    // five presses to get past it.
    if (HIST_ENTRY* last = history_get(history_base + history_length - 1);
        last && last->line && line == last->line)
        return;
    add_history(line.c_str());
    // The whole (bounded) history each time: a crash or a closed terminal loses nothing typed.
    if (!historyPath_.empty()) write_history(historyPath_.c_str());
}

int LineEditor::onTab(int /*count*/, int /*key*/) {
    if (!active || !active->completer_ || rl_line_buffer == nullptr) return 0;
    // Completion works on the word before the cursor with the cursor at the end of the line,
    // where Tab is pressed nearly always; libedit's readline emulation has no reliable way to
    // replace text in the middle of the line.
    if (rl_point != rl_end) return 0;
    std::string line(rl_line_buffer, static_cast<std::size_t>(rl_end));
    auto completed = active->completer_->complete(line);
    if (!completed) return 0;
    // libedit's refresh draws from where the cursor is: start at the prompt's first row, on a
    // cleared edit area, as printAbove() does.
    active->eraseEditArea();
    // rl_replace_line keeps the cursor where it was (clamped to the new line's end), and
    // rl_insert_text moves it along: replacing the line with its first character only and
    // inserting the rest leaves the cursor at the end, where completion leaves it.
    std::size_t first = 0;
    sockchat::text::decodeUtf8(*completed, first);
    rl_replace_line(completed->substr(0, first).c_str(), 0);
    rl_insert_text(completed->substr(first).c_str());
    rl_forced_update_display();
    active->beforeCursor_ = *completed;
    active->lineEmpty_ = completed->empty();
    active->completedJustNow_ = true;
    return 0;
}

}  // namespace sockctl
