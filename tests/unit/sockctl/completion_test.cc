// Tab completion: which nicks and commands are offered, in which order, and how repeated Tabs
// cycle through them.
#include "completion.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sockctl {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

ChatEvent event(json fields) {
    auto parsed = parseChatEvent(fields.dump());
    EXPECT_TRUE(parsed) << fields.dump();
    return parsed.value_or(ChatEvent{});
}

// alice's view: a who list, then bob and anna talk and dave joins.
Completer aliceInLobby() {
    Completer c;
    c.learn(event({{"type", "welcome"}, {"nick", "alice"}, {"room", "lobby"}}));
    c.learn(event({{"type", "who"}, {"room", "lobby"}, {"nicks", {"alice", "annabel", "bob"}}}));
    c.learn(event({{"type", "message"}, {"room", "lobby"}, {"from", "bob"}, {"text", "x"}}));
    c.learn(event({{"type", "message"}, {"room", "lobby"}, {"from", "anna"}, {"text", "y"}}));
    c.learn(event({{"type", "join"}, {"room", "lobby"}, {"nick", "dave"}}));
    return c;
}

TEST(SockctlCompletion, NicksFromEventsMostRecentFirstNeverOurOwn) {
    Completer c = aliceInLobby();
    EXPECT_EQ(c.nickCandidates(""), (Strings{"dave", "anna", "bob", "annabel"}));
    EXPECT_EQ(c.nickCandidates("A"), (Strings{"anna", "annabel"}));
    // Renamed and gone.
    c.learn(event({{"type", "nick"}, {"room", "lobby"}, {"from", "bob"}, {"nick", "robert"}}));
    c.learn(event({{"type", "leave"}, {"room", "lobby"}, {"nick", "dave"}, {"reason", ""}}));
    EXPECT_EQ(c.nickCandidates(""), (Strings{"robert", "anna", "annabel"}));
    // Our own rename moves what is ours.
    c.learn(event({{"type", "nick"}, {"room", "lobby"}, {"from", "alice"}, {"nick", "ally"}}));
    c.learn(event({{"type", "message"}, {"room", "lobby"}, {"from", "ally"}, {"text", "z"}}));
    EXPECT_EQ(c.nickCandidates("al"), Strings{});
}

TEST(SockctlCompletion, Commands) {
    EXPECT_EQ(Completer::commandCandidates("/j"), Strings{"/join"});
    EXPECT_EQ(Completer::commandCandidates("/q"), (Strings{"/quit", "/query"}));
    EXPECT_EQ(Completer::commandCandidates("/WH"), (Strings{"/who", "/whois"}));
    for (const char* command :
         {"/join", "/part", "/msg", "/me", "/nick", "/who", "/rooms", "/quit", "/help", "/topic",
          "/away", "/list", "/names", "/query", "/whois", "/ping"})
        EXPECT_EQ(Completer::commandCandidates(command).front(), command);
}

TEST(SockctlCompletion, TabCompletesAndCyclesLikeIrssi) {
    Completer c = aliceInLobby();
    // At the start of the line a nick is addressed; elsewhere it is followed by a space.
    EXPECT_EQ(c.complete("bo"), "bob: ");
    EXPECT_EQ(c.complete("hi bo"), "hi bob ");
    EXPECT_EQ(c.complete("/msg da"), "/msg dave ");
    EXPECT_EQ(c.complete("/jo"), "/join ");
    // Tab again: the next candidate in place of the first, round and round.
    EXPECT_EQ(c.complete("an"), "anna: ");
    EXPECT_EQ(c.complete("anna: "), "annabel: ");
    EXPECT_EQ(c.complete("annabel: "), "anna: ");
    // Nothing to complete.
    EXPECT_EQ(c.complete("zed"), std::nullopt);
    EXPECT_EQ(c.complete("hi "), std::nullopt);
    EXPECT_EQ(c.complete("say /jo"), std::nullopt);  // a command only at the start
}

}  // namespace
}  // namespace sockctl
