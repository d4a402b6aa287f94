#include "day_marker.h"

#include <cstdio>

namespace sockctl {
namespace {

std::tm local(std::time_t t) {
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return tm;
}

}  // namespace

std::optional<std::string> DayMarker::before(std::time_t t) {
    std::tm tm = local(t);
    int day = tm.tm_year * 1000 + tm.tm_yday;
    bool changed = day_ && *day_ != day;
    day_ = day;
    if (!changed) return std::nullopt;
    return dayChangedLine(t);
}

std::string dayChangedLine(std::time_t t) {
    std::tm tm = local(t);
    // Names from the C locale: sockctl sets only LC_CTYPE, so this reads the same everywhere.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "--- Day changed to %s %d %s %d ---", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900);
    return buf;
}

}  // namespace sockctl
