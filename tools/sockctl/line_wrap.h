#pragma once
// Wrapping chat lines to the terminal's width the way irssi does: continuation rows are indented
// under the text column (after "[12:01] <alice> "), so the timestamp and the nick stay a clean
// left margin. Rows break at spaces where possible, inside a word only when it does not fit a
// row on its own. Widths are display columns (text_width.h), colours are carried over a break.
#include <string>
#include <string_view>

namespace sockctl {

// The column a rendered line's text starts at: after the "[HH:MM] " timestamp, a "[history] "
// tag, and the "<nick> ", "[msg from nick] ", "* ", "-!- " or "-- " that introduces the text.
int textColumn(std::string_view line);

// line as '\n'-separated rows of at most columns display columns (a single glyph wider than
// that stays whole). The indent is textColumn(line), or none when that leaves less than half
// the width for the text.
std::string wrapLine(std::string_view line, int columns);

}  // namespace sockctl
