#include "sockchat/config/units.h"

#include <gtest/gtest.h>

#include <limits>

namespace sockchat::config {
namespace {

using std::chrono::milliseconds;

std::string durationError(std::string_view text) {
    std::string error;
    EXPECT_FALSE(parseDuration(text, &error)) << text;
    return error;
}

std::string sizeError(std::string_view text) {
    std::string error;
    EXPECT_FALSE(parseSize(text, &error)) << text;
    return error;
}

TEST(ParseDuration, AcceptsEveryUnit) {
    EXPECT_EQ(parseDuration("250ms"), milliseconds(250));
    EXPECT_EQ(parseDuration("5s"), milliseconds(5000));
    EXPECT_EQ(parseDuration("10m"), milliseconds(600'000));
    EXPECT_EQ(parseDuration("1h"), milliseconds(3'600'000));
    EXPECT_EQ(parseDuration("0ms"), milliseconds(0));
    EXPECT_EQ(parseDuration("0s"), milliseconds(0));
}

TEST(ParseDuration, BareZeroOnly) {
    EXPECT_EQ(parseDuration("0"), milliseconds(0));
    EXPECT_EQ(durationError("5"), "\"5\" is not a duration (use e.g. 250ms, 5s, 10m)");
    EXPECT_EQ(durationError("200"), "\"200\" is not a duration (use e.g. 250ms, 5s, 10m)");
}

TEST(ParseDuration, RejectsMalformed) {
    for (std::string_view text : {"", "ms", "5 s", " 5s", "5s ", "-5s", "+5s", "1.5s", "5sec", "5S",
                                  "5d", "5us", "abc", "5ms5", "0x10s"})
        EXPECT_EQ(durationError(text),
                  "\"" + std::string(text) + "\" is not a duration (use e.g. 250ms, 5s, 10m)");
}

TEST(ParseDuration, DetectsOverflow) {
    // 2^63-1 ms is the largest representable: 2562047788015h fits, one hour more does not.
    EXPECT_EQ(parseDuration("9223372036854775807ms"),
              milliseconds(std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(durationError("9223372036854775808ms"), "\"9223372036854775808ms\" is too large");
    EXPECT_EQ(durationError("2562047788016h"), "\"2562047788016h\" is too large");
    EXPECT_EQ(parseDuration("2562047788015h"), milliseconds(2562047788015LL * 3'600'000));
    EXPECT_EQ(durationError("99999999999999999999999s"),
              "\"99999999999999999999999s\" is too large");
}

TEST(ParseDuration, ErrorPointerIsOptional) {
    EXPECT_FALSE(parseDuration("5"));
    EXPECT_TRUE(parseDuration("5s"));
}

TEST(ParseSize, AcceptsBytesAndBinaryUnits) {
    EXPECT_EQ(parseSize("4096"), 4096u);
    EXPECT_EQ(parseSize("0"), 0u);
    EXPECT_EQ(parseSize("100B"), 100u);
    EXPECT_EQ(parseSize("64KiB"), 65536u);
    EXPECT_EQ(parseSize("1MiB"), 1048576u);
    EXPECT_EQ(parseSize("1GiB"), 1073741824u);
    EXPECT_EQ(parseSize("3GiB"), 3221225472u);
}

TEST(ParseSize, RejectsSiAndMalformed) {
    EXPECT_EQ(sizeError("4 KB"), "\"4 KB\" is not a size (use e.g. 4KiB)");
    for (std::string_view text : {"", "4KB", "4kib", "4K", "1MB", "1TiB", "4 KiB", "-1", "+1",
                                  "1.5MiB", "KiB", "lots", "4KiB "})
        EXPECT_EQ(sizeError(text), "\"" + std::string(text) + "\" is not a size (use e.g. 4KiB)");
}

TEST(ParseSize, DetectsOverflow) {
    EXPECT_EQ(parseSize("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(sizeError("18446744073709551616"), "\"18446744073709551616\" is too large");
    EXPECT_EQ(parseSize("17179869183GiB"), 17179869183ull << 30);
    EXPECT_EQ(sizeError("17179869184GiB"), "\"17179869184GiB\" is too large");
}

TEST(FormatDuration, PicksLargestExactUnit) {
    EXPECT_EQ(formatDuration(milliseconds(0)), "0");
    EXPECT_EQ(formatDuration(milliseconds(200)), "200ms");
    EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
    EXPECT_EQ(formatDuration(milliseconds(5000)), "5s");
    EXPECT_EQ(formatDuration(milliseconds(90'000)), "90s");
    EXPECT_EQ(formatDuration(milliseconds(600'000)), "10m");
    EXPECT_EQ(formatDuration(milliseconds(3'600'000)), "1h");
    EXPECT_EQ(formatDuration(milliseconds(-5000)), "-5s");
}

TEST(FormatSize, PicksLargestExactUnit) {
    EXPECT_EQ(formatSize(0), "0");
    EXPECT_EQ(formatSize(64), "64");
    EXPECT_EQ(formatSize(4096), "4KiB");
    EXPECT_EQ(formatSize(6144), "6KiB");
    EXPECT_EQ(formatSize(4097), "4097");
    EXPECT_EQ(formatSize(1048576), "1MiB");
    EXPECT_EQ(formatSize(1536 * 1024), "1536KiB");
    EXPECT_EQ(formatSize(1073741824), "1GiB");
}

TEST(Units, FormattedValuesParseBack) {
    for (std::int64_t ms : {0LL, 1LL, 999LL, 1000LL, 61'000LL, 7'200'000LL})
        EXPECT_EQ(parseDuration(formatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
    for (std::uint64_t bytes : {0ull, 1ull, 1023ull, 1024ull, 65536ull, 5ull << 30})
        EXPECT_EQ(parseSize(formatSize(bytes)), bytes) << bytes;
}

}  // namespace
}  // namespace sockchat::config
