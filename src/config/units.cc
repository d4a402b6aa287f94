#include "sockchat/config/units.h"

#include <array>
#include <charconv>
#include <limits>

#include "sockchat/text/quote.h"

namespace sockchat::config {
namespace {

struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
};

// Largest first, so formatting picks the biggest exact unit.
constexpr std::array<Unit, 4> kDurationUnits{
    {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}};
constexpr std::array<Unit, 4> kSizeUnits{
    {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}}};

// Splits "250ms" into 250 and "ms". Only ASCII digits are accepted: no sign, no fraction, no
// spaces. Returns false if there are no digits; sets *overflow if the digits do not fit.
bool splitNumber(std::string_view text, std::uint64_t* value, std::string_view* suffix,
                 bool* overflow) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (end == text.data() || text.front() == '+' || text.front() == '-') return false;
    *overflow = ec == std::errc::result_out_of_range;
    *suffix = text.substr(static_cast<std::size_t>(end - text.data()));
    return true;
}

template <std::size_t N>
const Unit* findUnit(const std::array<Unit, N>& units, std::string_view suffix) {
    for (const Unit& unit : units)
        if (unit.suffix == suffix) return &unit;
    return nullptr;
}

bool fail(std::string* error, std::string reason) {
    if (error) *error = std::move(reason);
    return false;
}

// value * factor, or false if it exceeds limit.
bool scale(std::uint64_t value, std::uint64_t factor, std::uint64_t limit, std::uint64_t* out) {
    if (value > limit / factor) return false;
    *out = value * factor;
    return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, std::string* error) {
    std::uint64_t value = 0;
    std::string_view suffix;
    bool overflow = false;
    const std::string bad =
        sockchat::text::quoteForMessage(text) + " is not a duration (use e.g. 250ms, 5s, 10m)";
    if (text.empty() || !splitNumber(text, &value, &suffix, &overflow)) {
        fail(error, bad);
        return std::nullopt;
    }
    const Unit* unit = findUnit(kDurationUnits, suffix);
    // A bare number is ambiguous (seconds? milliseconds?) except for zero.
    if (unit == nullptr && !(suffix.empty() && value == 0 && !overflow)) {
        fail(error, bad);
        return std::nullopt;
    }
    std::uint64_t ms = 0;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (overflow || (unit && !scale(value, unit->factor, kMax, &ms))) {
        fail(error, sockchat::text::quoteForMessage(text) + " is too large");
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parseSize(std::string_view text, std::string* error) {
    std::uint64_t value = 0;
    std::string_view suffix;
    bool overflow = false;
    const std::string bad =
        sockchat::text::quoteForMessage(text) + " is not a size (use e.g. 4KiB)";
    if (text.empty() || !splitNumber(text, &value, &suffix, &overflow)) {
        fail(error, bad);
        return std::nullopt;
    }
    const Unit* unit = suffix.empty() ? &kSizeUnits.back() : findUnit(kSizeUnits, suffix);
    if (unit == nullptr) {
        fail(error, bad);
        return std::nullopt;
    }
    std::uint64_t bytes = 0;
    if (overflow ||
        !scale(value, unit->factor, std::numeric_limits<std::uint64_t>::max(), &bytes)) {
        fail(error, sockchat::text::quoteForMessage(text) + " is too large");
        return std::nullopt;
    }
    return bytes;
}

std::string formatDuration(std::chrono::milliseconds duration) {
    std::int64_t ms = duration.count();
    if (ms == 0) return "0";
    // Negative durations never come from the parser; print them readably anyway.
    std::string sign = ms < 0 ? "-" : "";
    std::uint64_t magnitude =
        ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    for (const Unit& unit : kDurationUnits)
        if (magnitude % unit.factor == 0)
            return sign + std::to_string(magnitude / unit.factor) + std::string(unit.suffix);
    return sign + std::to_string(magnitude) + "ms";  // unreachable: ms divides everything
}

std::string formatSize(std::uint64_t bytes) {
    if (bytes == 0) return "0";
    for (const Unit& unit : kSizeUnits)
        if (unit.factor > 1 && bytes % unit.factor == 0)
            return std::to_string(bytes / unit.factor) + std::string(unit.suffix);
    return std::to_string(bytes);
}

}  // namespace sockchat::config
