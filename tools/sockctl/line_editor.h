#pragma once
// LineEditor: the interactive input line, on libedit's readline-compatible callback interface.
// Submitted lines go into the history (kept in a file across runs when keepHistoryIn() names
// one); Tab completes through a Completer.
//
// libedit rather than GNU readline because of the licence: libedit is BSD-licensed, GNU readline
// is GPL, and linking readline would make the sockctl binary GPL.
//
// The callback interface lets one poll loop serve the keyboard and the socket: readKey() is
// called when stdin is readable and feeds libedit one keystroke. printAbove() is how incoming
// chat lines reach the screen without clobbering what the user is typing: it erases the edit
// area (prompt + half-typed line, however many rows it wraps to), prints the text where it was,
// and has libedit redraw the prompt and the line with the cursor where it was.
//
// libedit keeps one editor per process, so there is at most one LineEditor at a time.
#include <optional>
#include <string>
#include <string_view>

#include "completion.h"

namespace sockctl {

class LineEditor {
  public:
    // Takes over the terminal on stdin/stdout (raw mode while editing); the destructor gives it
    // back in the state it found it.
    explicit LineEditor(std::string prompt);
    ~LineEditor();
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    struct Input {
        enum class Kind { nothing, line, endOfInput } kind = Kind::nothing;
        std::string text;  // the submitted line (kind == line)
    };
    // stdin is readable: hand libedit the next keystroke. A submitted line is added to the
    // history; the prompt for the next one is drawn by the caller's next redraw().
    Input readKey();

    // Prints text (one or more '\n'-separated lines) above the edit line, keeping the
    // half-typed line and the cursor position intact.
    void printAbove(std::string_view text);
    void setPrompt(std::string prompt);
    // Ctrl-C: throws the half-typed line away and shows an empty prompt.
    void clearLine();
    bool lineEmpty() const { return beforeCursor_.empty() && lineEmpty_; }
    // The terminal changed size (SIGWINCH).
    void resize();
    int columns() const;

    // Loads the history from path and saves it there after every submitted line.
    void keepHistoryIn(std::string path);
    // Tab completes with completer (not owned; null: Tab does nothing).
    void setCompleter(Completer* completer) { completer_ = completer; }

  private:
    static void onLine(char* line);
    static int onTab(int count, int key);
    // Adds a submitted line to the history (and the history file).
    void remember(const std::string& line);
    void install();
    void eraseEditArea();
    int rowsAbove(std::string_view textBeforeCursor) const;

    std::string prompt_;
    // Snapshot of the line left of the cursor, taken right after each keystroke, when libedit's
    // rl_line_buffer/rl_point are known to be current; used to find how many rows the edit area
    // spans above the cursor.
    std::string beforeCursor_;
    bool lineEmpty_ = true;
    std::optional<std::string> submitted_;
    bool endOfInput_ = false;
    std::string historyPath_;  // empty: history not kept across runs
    Completer* completer_ = nullptr;
    bool completedJustNow_ = false;  // the last keystroke was a Tab that completed
};

}  // namespace sockctl
