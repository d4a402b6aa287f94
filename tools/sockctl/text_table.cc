#include "text_table.h"

#include <algorithm>

#include "text_width.h"

namespace sockctl {
namespace {

constexpr const char* kBold = "\033[1m";
constexpr const char* kReset = "\033[0m";
constexpr const char* kGap = "  ";

}  // namespace

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::addRow(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    rows_.push_back(std::move(cells));
}

std::string TextTable::render(bool boldHeader) const {
    std::vector<int> widths;
    for (const auto& column : columns_) widths.push_back(displayWidth(column.title));
    for (const auto& row : rows_)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], displayWidth(row[i]));

    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool last = i + 1 == cells.size();
            const std::string pad(static_cast<std::size_t>(widths[i] - displayWidth(cells[i])),
                                  ' ');
            if (columns_[i].align == Align::right)
                out += pad + cells[i];
            else
                out += last ? cells[i] : cells[i] + pad;
            if (!last) out += kGap;
        }
        return out + "\n";
    };

    std::vector<std::string> titles;
    for (const auto& column : columns_) titles.push_back(column.title);
    std::string header = line(titles);
    std::string out =
        boldHeader ? kBold + header.substr(0, header.size() - 1) + kReset + "\n" : header;
    for (const auto& row : rows_) out += line(row);
    return out;
}

}  // namespace sockctl
