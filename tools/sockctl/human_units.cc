#include "human_units.h"

#include <cmath>
#include <cstdio>

namespace sockctl {

std::string humanDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
    // Past about 290 million years the cast below would overflow; no daemon gets there.
    if (seconds > 9e15) seconds = 9e15;
    const auto total = static_cast<long long>(seconds);
    const long long days = total / 86400, hours = total / 3600 % 24, minutes = total / 60 % 60,
                    secs = total % 60;
    char buf[48];
    if (days > 0)
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", days, hours);
    else if (hours > 0)
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", hours, minutes);
    else if (minutes > 0)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", minutes, secs);
    else
        std::snprintf(buf, sizeof buf, "%llds", secs);
    return buf;
}

std::string humanSize(double bytes) {
    if (!std::isfinite(bytes) || bytes < 0) bytes = 0;
    char buf[48];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%.0f B", std::floor(bytes));
        return buf;
    }
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t unit = 0;
    double value = bytes / 1024;
    // Compare what will be printed, so that 1023.96 KiB shows as "1.0 MiB", not "1024.0 KiB".
    while (std::round(value * 10) >= 1024 * 10 && unit + 1 < std::size(kUnits)) {
        value /= 1024;
        ++unit;
    }
    std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
    return buf;
}

}  // namespace sockctl
