#pragma once
// DayMarker: irssi's "Day changed" line. Chat lines show only the time of day, so when the local
// date of a line differs from the one before it (a session left open past midnight, history
// from yesterday), a marker line says which day the lines below belong to.
#include <ctime>
#include <optional>
#include <string>

namespace sockctl {

class DayMarker {
  public:
    // The marker to show before a line of time t, if its local date differs from the previous
    // line's; the first line needs none (its day is today, or close to it).
    std::optional<std::string> before(std::time_t t);

  private:
    std::optional<int> day_;  // year * 1000 + day of the year of the previous line
};

// "--- Day changed to Wed 2 Dec 2026 ---" for t's local date.
std::string dayChangedLine(std::time_t t);

}  // namespace sockctl
