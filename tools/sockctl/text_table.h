#pragma once
// TextTable: the aligned tables of sockctl's admin output (clients, rooms, listeners). Columns
// are separated by two spaces and sized by terminal display width, not bytes, because nicks and
// room names may be Unicode (a CJK nick takes two columns per character).
#include <string>
#include <vector>

namespace sockctl {

class TextTable {
  public:
    enum class Align { left, right };
    struct Column {
        std::string title;
        Align align = Align::left;
    };

    explicit TextTable(std::vector<Column> columns);

    // One row; cells beyond the columns are dropped, missing ones are empty.
    void addRow(std::vector<std::string> cells);
    bool empty() const { return rows_.empty(); }

    // The header row (in bold when asked: see terminal_style.h) and the rows, each ending in "\n".
    // The last column is not padded on the left-aligned side, so no line ends in spaces.
    std::string render(bool boldHeader) const;

  private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace sockctl
