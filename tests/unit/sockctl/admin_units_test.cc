// The admin output's building blocks: durations and sizes in human units, aligned tables that
// count terminal columns rather than bytes, and when a header may be bold.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "human_units.h"
#include "terminal_style.h"
#include "text_table.h"

namespace sockctl {
namespace {

TEST(SockctlHumanDuration, TwoMostSignificantUnits) {
    EXPECT_EQ(humanDuration(0), "0s");
    EXPECT_EQ(humanDuration(45), "45s");
    EXPECT_EQ(humanDuration(59.9), "59s");  // truncated: not yet a minute
    EXPECT_EQ(humanDuration(60), "1m00s");
    EXPECT_EQ(humanDuration(192), "3m12s");
    EXPECT_EQ(humanDuration(3599), "59m59s");
    EXPECT_EQ(humanDuration(3600.5), "1h00m");
    EXPECT_EQ(humanDuration(2 * 3600 + 5 * 60 + 30), "2h05m");
    EXPECT_EQ(humanDuration(86399), "23h59m");
    EXPECT_EQ(humanDuration(3 * 86400 + 4 * 3600 + 59 * 60), "3d04h");
    EXPECT_EQ(humanDuration(400 * 86400), "400d00h");
}

TEST(SockctlHumanDuration, NonsenseIsZero) {
    EXPECT_EQ(humanDuration(-5), "0s");
    EXPECT_EQ(humanDuration(std::nan("")), "0s");
}

TEST(SockctlHumanSize, BinaryUnitsOneDecimal) {
    EXPECT_EQ(humanSize(0), "0 B");
    EXPECT_EQ(humanSize(512), "512 B");
    EXPECT_EQ(humanSize(1023), "1023 B");
    EXPECT_EQ(humanSize(1024), "1.0 KiB");
    EXPECT_EQ(humanSize(1229), "1.2 KiB");
    EXPECT_EQ(humanSize(5120), "5.0 KiB");
    EXPECT_EQ(humanSize(90210), "88.1 KiB");
    EXPECT_EQ(humanSize(33.4 * 1024 * 1024), "33.4 MiB");
    EXPECT_EQ(humanSize(2.0 * 1024 * 1024 * 1024), "2.0 GiB");
}

TEST(SockctlHumanSize, RoundingNeverShows1024) {
    EXPECT_EQ(humanSize(1024 * 1024 - 1), "1.0 MiB");
    EXPECT_EQ(humanSize(1023.94 * 1024), "1023.9 KiB");
}

TEST(SockctlTextTable, TwoSpacesNumbersRightAligned) {
    TextTable table({{"ROOM"}, {"MEMBERS", TextTable::Align::right}, {"NOTE"}});
    table.addRow({"#lobby", "3", "x"});
    table.addRow({"#a", "12345678", "long note"});
    EXPECT_EQ(table.render(false),
              "ROOM     MEMBERS  NOTE\n"
              "#lobby         3  x\n"
              "#a      12345678  long note\n");
}

TEST(SockctlTextTable, WideCharactersCountTwoColumns) {
    TextTable table({{"NICK"}, {"IN", TextTable::Align::right}});
    table.addRow({"\xE4\xB8\xAD\xE6\x96\x87\xE5\x90\x8D", "1"});  // 中文名: 6 columns, 9 bytes
    table.addRow({"h\xC3\xA9", "22"});                            // hé: 2 columns, 3 bytes
    EXPECT_EQ(table.render(false),
              "NICK    IN\n"
              "\xE4\xB8\xAD\xE6\x96\x87\xE5\x90\x8D   1\n"
              "h\xC3\xA9      22\n");
}

TEST(SockctlTextTable, BoldHeaderOnlyWhenAsked) {
    TextTable table({{"A"}, {"B"}});
    table.addRow({"1", "2"});
    EXPECT_EQ(table.render(true), "\x1b[1mA  B\x1b[0m\n1  2\n");
    EXPECT_EQ(table.render(false), "A  B\n1  2\n");
}

TEST(SockctlTerminalStyle, TerminalAndNoNoColor) {
    EXPECT_TRUE(wantTerminalStyle(true, nullptr));
    EXPECT_TRUE(wantTerminalStyle(true, ""));  // set but empty: no opt-out (no-color.org)
    EXPECT_FALSE(wantTerminalStyle(true, "1"));
    EXPECT_FALSE(wantTerminalStyle(true, "0"));  // any non-empty value opts out
    EXPECT_FALSE(wantTerminalStyle(false, nullptr));
    EXPECT_FALSE(wantTerminalStyle(false, "1"));
}

}  // namespace
}  // namespace sockctl
