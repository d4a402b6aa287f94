#include "line_wrap.h"

#include <vector>

#include "sockchat/text/utf8.h"
#include "text_width.h"

namespace sockctl {
namespace {

constexpr std::string_view kReset = "\x1b[0m";

// One unit of a line: an escape sequence (no width), a space, or a glyph.
struct Piece {
    std::string_view bytes;
    int width = 0;
    bool space = false;
    bool escape = false;
};

std::vector<Piece> pieces(std::string_view line) {
    std::vector<Piece> out;
    for (std::size_t i = 0; i < line.size();) {
        std::size_t start = i;
        if (line[i] == '\x1b') {
            i += escapeLength(line, i);
            out.push_back({line.substr(start, i - start), 0, false, true});
        } else if (line[i] == '\a') {
            ++i;
            out.push_back({line.substr(start, 1), 0, false, false});
        } else {
            int width = codepointWidth(sockchat::text::decodeUtf8(line, i));
            out.push_back({line.substr(start, i - start), width, line[start] == ' ', false});
        }
    }
    return out;
}

std::string withoutEscapes(std::string_view line) {
    std::string plain;
    for (const auto& p : pieces(line))
        if (!p.escape) plain.append(p.bytes);
    return plain;
}

// Builds the rows: tracks the width of the current row and the colours in effect, so that a
// break can end the row's colour and start the next row (after the indent) with it again.
class Rows {
  public:
    Rows(int columns, int indent) : columns_(columns), indent_(indent) {}

    int width() const { return width_; }
    bool rowHasText() const { return width_ > rowStart_; }
    bool fits(int width) const { return width_ + width <= columns_; }
    bool fitsOnFreshRow(int width) const { return indent_ + width <= columns_; }

    void append(const Piece& p) {
        if (p.escape && p.bytes.ends_with('m'))
            sgr_ = p.bytes == kReset || p.bytes == "\x1b[m" ? std::string()
                                                            : sgr_ + std::string(p.bytes);
        row_.append(p.bytes);
        width_ += p.width;
    }
    void newRow() {
        if (!sgr_.empty()) row_.append(kReset);
        out_ += row_ + "\n";
        row_ = std::string(static_cast<std::size_t>(indent_), ' ') + sgr_;
        width_ = rowStart_ = indent_;
    }
    std::string finish() { return out_ + row_; }

  private:
    int columns_, indent_;
    std::string out_, row_, sgr_;
    int width_ = 0, rowStart_ = 0;
};

}  // namespace

int textColumn(std::string_view line) {
    std::string plain = withoutEscapes(line);
    std::string_view rest = plain;
    auto skip = [&](std::string_view prefix) {
        if (!rest.starts_with(prefix)) return false;
        rest.remove_prefix(prefix.size());
        return true;
    };
    auto skipTo = [&](std::string_view end) {
        std::size_t at = rest.find(end);
        if (at != std::string_view::npos) rest.remove_prefix(at + end.size());
    };
    if (rest.size() >= 8 && rest[0] == '[' && rest[6] == ']' && rest[7] == ' ')
        rest.remove_prefix(8);
    skip("[history] ");
    if (rest.starts_with('<'))
        skipTo("> ");
    else if (rest.starts_with("[msg "))
        skipTo("] ");
    else if (!skip("* ") && !skip("-!- "))
        skip("-- ");
    return displayWidth(std::string_view(plain).substr(0, plain.size() - rest.size()));
}

std::string wrapLine(std::string_view line, int columns) {
    if (columns <= 0 || displayWidth(line) <= columns) return std::string(line);
    int indent = textColumn(line);
    if (indent * 2 > columns) indent = 0;
    Rows rows(columns, indent);
    std::vector<Piece> all = pieces(line);
    for (std::size_t i = 0; i < all.size();) {
        // The spaces before the next word, and the word (escapes included).
        std::size_t wordStart = i;
        while (wordStart < all.size() && all[wordStart].space) ++wordStart;
        std::size_t wordEnd = wordStart;
        int wordWidth = 0;
        while (wordEnd < all.size() && !all[wordEnd].space) wordWidth += all[wordEnd++].width;
        if (wordStart == all.size()) break;  // trailing spaces: nothing to show
        int spaces = static_cast<int>(wordStart - i);

        if (rows.fits(spaces + wordWidth)) {
            for (std::size_t k = i; k < wordEnd; ++k) rows.append(all[k]);
        } else if (rows.rowHasText() && rows.fitsOnFreshRow(wordWidth)) {
            // The spaces become the break.
            rows.newRow();
            for (std::size_t k = wordStart; k < wordEnd; ++k) rows.append(all[k]);
        } else {
            // Longer than a row: split where the row ends.
            for (std::size_t k = i; k < wordEnd; ++k) {
                if (!rows.fits(all[k].width) && rows.rowHasText()) {
                    rows.newRow();
                    if (all[k].space) continue;
                }
                rows.append(all[k]);
            }
        }
        i = wordEnd;
    }
    return rows.finish();
}

}  // namespace sockctl
