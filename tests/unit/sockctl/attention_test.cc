// What draws a person's attention: mentions of their nick (found as whole words, highlighted)
// and the bell on a mention or a private message; and the day-change marker between lines of
// different dates.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "day_marker.h"
#include "mention.h"
#include "renderer.h"

namespace sockctl {
namespace {

using nlohmann::json;

ChatEvent event(json fields) {
    auto parsed = parseChatEvent(fields.dump());
    EXPECT_TRUE(parsed) << fields.dump();
    return parsed.value_or(ChatEvent{});
}

ChatEvent said(const std::string& type, const std::string& from, const std::string& text,
               const std::string& ts = "2026-12-02T10:00:00Z") {
    return event({{"type", type}, {"room", "lobby"}, {"from", from}, {"text", text}, {"ts", ts}});
}

TEST(SockctlMention, WholeWordsIgnoringCase) {
    EXPECT_TRUE(mentions("alice: hi", "alice"));
    EXPECT_TRUE(mentions("hi ALICE!", "alice"));
    EXPECT_TRUE(mentions("@Alice, look", "alice"));
    EXPECT_TRUE(mentions("thanks alice.", "alice"));
    EXPECT_TRUE(mentions("alice", "alice"));
    EXPECT_FALSE(mentions("malice aforethought", "alice"));
    EXPECT_FALSE(mentions("alice_bot says", "alice"));
    EXPECT_FALSE(mentions("alice-2 is here", "alice"));
    EXPECT_FALSE(mentions("anything", ""));
    auto spans = findMentions("alice and Alice", "alice");
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[1], std::make_pair(std::size_t{10}, std::size_t{15}));
}

TEST(SockctlRenderer, OwnNickIsHighlightedInOthersText) {
    Renderer colour(true);
    std::string line = colour.render(said("message", "bob", "hey Alice, look"), "alice");
    EXPECT_NE(line.find("hey \x1b[1;7mAlice\x1b[0m, look"), std::string::npos) << line;
    line = colour.render(said("action", "bob", "pokes alice"), "alice");
    EXPECT_NE(line.find("\x1b[1;7malice\x1b[0m"), std::string::npos) << line;
    // Not in our own words, not for other words, and never without colour.
    line = colour.render(said("message", "alice", "I am alice"), "alice");
    EXPECT_EQ(line.find("\x1b[1;7m"), std::string::npos) << line;
    line = colour.render(said("message", "bob", "malice"), "alice");
    EXPECT_EQ(line.find("\x1b[1;7m"), std::string::npos) << line;
    line = Renderer(false).render(said("message", "bob", "hey alice"), "alice");
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
}

TEST(SockctlRenderer, BellOnAMentionOrAPrivateMessageOnly) {
    Renderer bell(false, true);
    EXPECT_TRUE(bell.render(said("message", "bob", "alice: ping"), "alice").ends_with('\a'));
    EXPECT_TRUE(bell.render(said("action", "bob", "waves at alice"), "alice").ends_with('\a'));
    auto psst = event({{"type", "private"}, {"from", "bob"}, {"to", "alice"}, {"text", "psst"}});
    EXPECT_TRUE(bell.render(psst, "alice").ends_with('\a'));
    // No bell: someone else's message, our own (private ones too), history, or the bell off.
    EXPECT_FALSE(bell.render(said("message", "bob", "hi all"), "alice").ends_with('\a'));
    EXPECT_FALSE(bell.render(said("message", "alice", "alice here"), "alice").ends_with('\a'));
    auto mine = event({{"type", "private"}, {"from", "alice"}, {"to", "bob"}, {"text", "psst"}});
    EXPECT_FALSE(bell.render(mine, "alice").ends_with('\a'));
    auto old = event({{"type", "history"},
                      {"room", "lobby"},
                      {"from", "bob"},
                      {"text", "alice?"},
                      {"kind", "message"}});
    EXPECT_FALSE(bell.render(old, "alice").ends_with('\a'));
    EXPECT_FALSE(Renderer(false).render(said("message", "bob", "alice!"), "alice").ends_with('\a'));
}

class SockctlDayMarker : public ::testing::Test {
  protected:
    // Dates are local: pin the zone so the expected days are known.
    void SetUp() override {
        const char* tz = std::getenv("TZ");
        savedTz_ = tz ? std::optional<std::string>(tz) : std::nullopt;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (savedTz_)
            ::setenv("TZ", savedTz_->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
    std::optional<std::string> savedTz_;
};

TEST_F(SockctlDayMarker, ALineOnAnotherDateGetsTheMarkerFirst) {
    Renderer plain(false);
    // The first line: no marker, whatever its date.
    EXPECT_EQ(plain.render(said("message", "bob", "late", "2026-12-01T23:59:00Z"), "alice"),
              "[23:59] <bob> late");
    EXPECT_EQ(plain.render(said("message", "bob", "later", "2026-12-01T23:59:59Z"), "alice"),
              "[23:59] <bob> later");
    EXPECT_EQ(plain.render(said("message", "bob", "early", "2026-12-02T00:00:01Z"), "alice"),
              "--- Day changed to Wed 2 Dec 2026 ---\n[00:00] <bob> early");
    EXPECT_EQ(plain.render(said("message", "bob", "again", "2026-12-02T08:00:00Z"), "alice"),
              "[08:00] <bob> again");
    // Dimmed with colour, like other notices.
    Renderer colour(true);
    colour.render(said("message", "bob", "x", "2026-01-31T12:00:00Z"), "alice");
    std::string line = colour.render(said("message", "bob", "y", "2026-02-01T12:00:00Z"), "alice");
    EXPECT_EQ(line.rfind("\x1b[2m--- Day changed to Sun 1 Feb 2026 ---\x1b[0m\n", 0), 0u) << line;
}

TEST_F(SockctlDayMarker, ComparesLocalDates) {
    ::setenv("TZ", "EST5", 1);  // UTC-5, no summer time
    ::tzset();
    DayMarker days;
    std::tm utc{};
    utc.tm_year = 2026 - 1900;
    utc.tm_mon = 11;
    utc.tm_mday = 2;
    utc.tm_hour = 3;  // 22:00 on the 1st in EST
    std::time_t first = ::timegm(&utc);
    EXPECT_FALSE(days.before(first));
    EXPECT_FALSE(days.before(first + 3600));  // 23:00, still the 1st
    auto marker = days.before(first + 2 * 3600);
    ASSERT_TRUE(marker);
    EXPECT_EQ(*marker, "--- Day changed to Wed 2 Dec 2026 ---");
}

}  // namespace
}  // namespace sockctl
