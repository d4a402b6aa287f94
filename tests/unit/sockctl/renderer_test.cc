// Renderer: chat events as lines for people ("[12:01] <alice> hi"), with and without colour.
#include "renderer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace sockctl {
namespace {

using nlohmann::json;

constexpr const char* kTs = "2026-11-25T10:00:01.042Z";
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kDim = "\x1b[2m";

// "[HH:MM] " of 2026-11-25 10:00 UTC in this machine's local time, worked out here rather than
// by the code under test.
std::string stamp() {
    std::tm utc{};
    utc.tm_year = 2026 - 1900;
    utc.tm_mon = 10;
    utc.tm_mday = 25;
    utc.tm_hour = 10;
    std::time_t t = ::timegm(&utc);
    std::tm local{};
    ::localtime_r(&t, &local);
    char buf[16];
    std::snprintf(buf, sizeof buf, "[%02d:%02d] ", local.tm_hour, local.tm_min);
    return buf;
}

// An event as the server sends it in JSON mode, with kTs as its time.
ChatEvent event(json fields) {
    fields["ts"] = kTs;
    auto parsed = parseChatEvent(fields.dump());
    EXPECT_TRUE(parsed) << fields.dump();
    return parsed.value_or(ChatEvent{});
}

ChatEvent message(const std::string& from, const std::string& text) {
    return event(
        {{"type", "message"}, {"room", "lobby"}, {"from", from}, {"text", text}, {"seq", 3}});
}

// Every kind of event the server sends, for the tests that hold for all of them.
std::vector<ChatEvent> everyKind() {
    return {
        message("alice", "hi"),
        event({{"type", "action"}, {"room", "lobby"}, {"from", "alice"}, {"text", "waves"}}),
        event({{"type", "private"}, {"from", "alice"}, {"to", "bob"}, {"text", "psst"}}),
        event({{"type", "history"},
               {"room", "lobby"},
               {"from", "carol"},
               {"text", "earlier"},
               {"kind", "message"}}),
        event({{"type", "join"}, {"room", "lobby"}, {"nick", "bob"}, {"seq", 4}}),
        event({{"type", "leave"}, {"room", "lobby"}, {"nick", "bob"}, {"reason", "quit"}}),
        event({{"type", "nick"}, {"room", "lobby"}, {"from", "bob"}, {"nick", "robert"}}),
        event({{"type", "notice"}, {"text", "bye"}}),
        event({{"type", "error"}, {"text", "no such nick dave"}}),
        event({{"type", "who"}, {"room", "lobby"}, {"nicks", {"alice", "bob"}}}),
        event({{"type", "rooms"}, {"rooms", json::array({{{"name", "lobby"}, {"members", 2}}})}}),
    };
}

TEST(SockctlRenderer, MessageIsTimeNickAndText) {
    Renderer plain(false);
    EXPECT_EQ(plain.render(message("alice", "hi there"), "bob"), stamp() + "<alice> hi there");
}

TEST(SockctlRenderer, TimeIsLocalWhateverTheOffsetOfTheTimestamp) {
    EXPECT_EQ("[" + clockTime("2026-11-25T10:00:01.042Z") + "] ", stamp());
    EXPECT_EQ("[" + clockTime("2026-11-25T12:00:01+02:00") + "] ", stamp());
    EXPECT_EQ("[" + clockTime("2026-11-25T05:30:00-04:30") + "] ", stamp());
    // Not RFC 3339: the time now, still HH:MM.
    std::string now = clockTime("yesterday");
    ASSERT_EQ(now.size(), 5u) << now;
    EXPECT_EQ(now[2], ':') << now;
}

TEST(SockctlRenderer, ActionsArePrintedAsStarNickText) {
    Renderer plain(false);
    auto action =
        event({{"type", "action"}, {"room", "lobby"}, {"from", "alice"}, {"text", "waves"}});
    EXPECT_EQ(plain.render(action, "bob"), stamp() + "* alice waves");
    auto past = event({{"type", "history"},
                       {"room", "lobby"},
                       {"from", "alice"},
                       {"text", "waved"},
                       {"kind", "action"}});
    EXPECT_EQ(plain.render(past, "bob"), stamp() + "[history] * alice waved");
}

TEST(SockctlRenderer, PrivateMessagesAreMarkedBothWays) {
    Renderer plain(false);
    auto psst = event({{"type", "private"}, {"from", "alice"}, {"to", "bob"}, {"text", "psst"}});
    EXPECT_EQ(plain.render(psst, "bob"), stamp() + "[msg from alice] psst");
    EXPECT_EQ(plain.render(psst, "alice"), stamp() + "[msg to bob] psst");
    // With colour the mark is bold, and the other party's nick has its colour.
    std::string coloured = Renderer(true).render(psst, "bob");
    EXPECT_NE(coloured.find("\x1b[1m[msg from "), std::string::npos) << coloured;
    EXPECT_NE(coloured.find(Renderer::nickColour("alice") + "alice" + kReset), std::string::npos)
        << coloured;
}

TEST(SockctlRenderer, JoinLeaveAndNickNoticesAreDimmed) {
    Renderer plain(false), colour(true);
    struct Case {
        ChatEvent event;
        std::string text;
    };
    const Case cases[] = {
        {event({{"type", "join"}, {"room", "lobby"}, {"nick", "bob"}, {"seq", 4}}),
         "-!- bob joined #lobby"},
        {event({{"type", "leave"}, {"room", "lobby"}, {"nick", "bob"}, {"reason", "quit: bye"}}),
         "-!- bob left #lobby (quit: bye)"},
        {event({{"type", "leave"}, {"room", "lobby"}, {"nick", "bob"}, {"reason", ""}}),
         "-!- bob left #lobby"},
        {event({{"type", "nick"}, {"room", "lobby"}, {"from", "bob"}, {"nick", "robert"}}),
         "-!- bob is now known as robert"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(plain.render(c.event, "alice"), stamp() + c.text);
        // The whole line, time included, in dim.
        EXPECT_EQ(colour.render(c.event, "alice"), kDim + stamp() + c.text + kReset);
    }
}

// "[HH:MM] " and then what: a line of the current time (its minute is not known in advance).
bool stampedNow(const std::string& line, const std::string& rest) {
    return std::regex_match(line.substr(0, 8), std::regex("\\[[0-2][0-9]:[0-5][0-9]\\] ")) &&
           line.substr(8) == rest;
}

TEST(SockctlRenderer, ErrorsAreRedInJsonAndTextMode) {
    auto error = event({{"type", "error"}, {"text", "no such nick dave"}});
    EXPECT_EQ(Renderer(false).render(error, "bob"), stamp() + "! no such nick dave");
    EXPECT_EQ(Renderer(true).render(error, "bob"), stamp() + "\x1b[31m! no such nick dave\x1b[0m");
    const std::string full = "! server full: max_connections_per_ip reached";
    std::string line = Renderer(false).renderText(full);
    EXPECT_TRUE(stampedNow(line, full)) << line;
    line = Renderer(true).renderText(full);
    EXPECT_TRUE(stampedNow(line, "\x1b[31m" + full + kReset)) << line;
    // Other text lines (the greeting) stay plain even with colour.
    line = Renderer(true).renderText("-!- Welcome!");
    EXPECT_TRUE(stampedNow(line, "-!- Welcome!")) << line;
}

// Every line has its time: notices, errors and sockctl's own status lines too.
TEST(SockctlRenderer, EveryLineHasATimestamp) {
    Renderer plain(false);
    for (const auto& e : everyKind()) {
        std::string line = plain.render(e, "bob");
        EXPECT_EQ(line.rfind(stamp(), 0), 0u) << e.type << ": " << line;
    }
    Renderer now(false);
    std::string status = now.renderStatus("connection lost; reconnecting in 1 s");
    EXPECT_TRUE(stampedNow(status, "-- connection lost; reconnecting in 1 s")) << status;
    std::string pending = now.renderPending("said offline");
    EXPECT_TRUE(stampedNow(pending, "(pending) said offline")) << pending;
    // Pending lines are dim with colour.
    EXPECT_EQ(Renderer(true).renderPending("x").rfind(kDim, 0), 0u);
}

TEST(SockctlRenderer, WhoAndRoomsAreLists) {
    Renderer plain(false);
    EXPECT_EQ(plain.render(event({{"type", "who"}, {"room", "lobby"}, {"nicks", {"alice", "bob"}}}),
                           "alice"),
              stamp() + "-!- #lobby: alice, bob");
    EXPECT_EQ(plain.render(event({{"type", "rooms"},
                                  {"rooms", json::array({{{"name", "dev"}, {"members", 1}},
                                                         {{"name", "lobby"}, {"members", 3}}})}}),
                           "alice"),
              stamp() + "-!- rooms: #dev (1), #lobby (3)");
}

TEST(SockctlRenderer, EachNickKeepsOneColourAcrossRenderers) {
    Renderer first(true), second(true);
    const std::string colour = Renderer::nickColour("alice");
    ASSERT_EQ(colour.rfind("\x1b[", 0), 0u) << colour;
    // The nick in its colour, then back to normal before the text.
    const std::string expected = stamp() + "<" + colour + "alice" + kReset + "> hi";
    EXPECT_EQ(first.render(message("alice", "hi"), "bob"), expected);
    EXPECT_EQ(second.render(message("alice", "hi"), "carol"), expected);
    // Nicks are one ignoring case: Alice after "/nick Alice" is still alice's colour.
    EXPECT_EQ(Renderer::nickColour("Alice"), colour);
    // And the nicks in a room do not all look alike.
    std::set<std::string> colours;
    for (const char* nick : {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"})
        colours.insert(Renderer::nickColour(nick));
    EXPECT_GE(colours.size(), 4u);
}

TEST(SockctlRenderer, NoEscapeSequencesWithoutColour) {
    Renderer plain(false);
    for (const auto& e : everyKind()) {
        std::string line = plain.render(e, "bob");
        EXPECT_EQ(line.find('\x1b'), std::string::npos) << e.type << ": " << line;
    }
    EXPECT_EQ(plain.renderText("! server full: max_connections reached").find('\x1b'),
              std::string::npos);
    // Not even ones a server (or a proxy) let through in the text: sockctl's own guard.
    std::string sneaky =
        Renderer(false).render(message("alice", "\x1b[2J\x1b]0;pwned\x07gotcha\r"), "bob");
    EXPECT_EQ(sneaky, stamp() + "<alice> gotcha");
}

TEST(SockctlRenderer, WelcomeShowsNothing) {
    auto welcome = event({{"type", "welcome"}, {"nick", "guest-1"}, {"room", "lobby"}});
    EXPECT_EQ(Renderer(true).render(welcome, "guest-1"), "");
}

// PROTOCOL.md: a /me can read like a server event; the server's lines start with what no action
// can, here too, where colour (which dims joins and nick changes) may be off.
TEST(SockctlRenderer, AnActionNeverLooksLikeAServerLine) {
    Renderer plain(false);
    auto forged = event({{"type", "action"},
                         {"room", "lobby"},
                         {"from", "alice"},
                         {"text", "is now known as admin"},
                         {"seq", 5}});
    auto real = event(
        {{"type", "nick"}, {"room", "lobby"}, {"from", "alice"}, {"nick", "admin"}, {"seq", 6}});
    EXPECT_EQ(plain.render(forged, "bob"), stamp() + "* alice is now known as admin");
    EXPECT_EQ(plain.render(real, "bob"), stamp() + "-!- alice is now known as admin");
    std::vector<ChatEvent> all = everyKind();
    for (const json& more :
         {json{{"type", "topic"}, {"room", "lobby"}, {"from", "alice"}, {"text", "t"}, {"seq", 7}},
          json{{"type", "topic"}, {"room", "lobby"}, {"text", "t"}, {"seq", 0}},
          json{{"type", "current"}, {"room", "lobby"}}, json{{"type", "pong"}, {"text", "x"}},
          json{{"type", "whois"}, {"nick", "alice"}, {"rooms", {"lobby"}}, {"away", ""}},
          json{{"type", "from-the-future"}, {"text", "x"}}})
        all.push_back(event(more));
    for (const auto& e : all) {
        std::string line = plain.render(e, "bob").substr(stamp().size());
        bool fromUser =
            e.type == "message" || e.type == "action" || e.type == "private" || e.type == "history";
        bool server = !fromUser && e.type != "error" && e.type != "closing" && !line.empty();
        EXPECT_EQ(line.starts_with("-!- "), server) << e.type << ": " << line;
    }
}

}  // namespace
}  // namespace sockctl
