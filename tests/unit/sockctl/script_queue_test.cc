// ScriptQueue: a script's lines, one in flight at a time, paced to the server's rate limit.
#include "script_queue.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sockctl {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Kind = ScriptQueue::Answer::Kind;

const ScriptQueue::Clock::time_point t0{};

ChatEvent event(const json& fields) {
    auto parsed = parseChatEvent(fields.dump());
    EXPECT_TRUE(parsed) << fields.dump();
    return parsed.value_or(ChatEvent{});
}

ChatEvent error(const std::string& text) {
    return event({{"type", "error"}, {"text", text}});
}

ChatEvent said(const std::string& type, const std::string& from) {
    return event({{"type", type}, {"room", "lobby"}, {"from", from}, {"text", "x"}});
}

// A queue holding lines 1..n ("line 1", ...), the first one sent at t0.
ScriptQueue sending(int n) {
    ScriptQueue q;
    for (int i = 1; i <= n; ++i) q.push({"line " + std::to_string(i), static_cast<std::size_t>(i)});
    q.sent(q.pop(), t0);
    return q;
}

TEST(SockctlScriptQueue, OneLineInFlightUntilItsEchoComesBack) {
    ScriptQueue q = sending(2);
    EXPECT_FALSE(q.mayGo(t0));
    ASSERT_TRUE(q.inFlight());
    EXPECT_EQ(q.inFlight()->number, 1u);
    // Someone else's message, history, a join: not the answer.
    EXPECT_EQ(q.answer(said("message", "bob"), "script", t0).kind, Kind::none);
    EXPECT_EQ(q.answer(said("history", "script"), "script", t0).kind, Kind::none);
    EXPECT_EQ(
        q.answer(event({{"type", "join"}, {"room", "lobby"}, {"nick", "bob"}}), "script", t0).kind,
        Kind::none);
    EXPECT_FALSE(q.mayGo(t0));
    // Our own message (nicks ignoring case): its echo, whatever sanitising did to the text.
    auto answer = q.answer(said("message", "Script"), "script", t0);
    EXPECT_EQ(answer.kind, Kind::delivered);
    EXPECT_EQ(answer.line.text, "line 1");
    EXPECT_TRUE(q.mayGo(t0));
    EXPECT_FALSE(q.idle());
    EXPECT_EQ(q.pop().text, "line 2");
}

TEST(SockctlScriptQueue, SlowDownSendsTheSameLineAgainAfterAGrowingPause) {
    ScriptQueue q = sending(2);
    EXPECT_EQ(q.answer(error("slow down"), "script", t0).kind, Kind::slowDown);
    // Line 1 again, first in the queue, not before the pause is over.
    EXPECT_FALSE(q.mayGo(t0 + 19ms));
    EXPECT_TRUE(q.mayGo(t0 + 20ms));
    EXPECT_EQ(q.wakeAt(t0), t0 + 20ms);
    ScriptQueue::Line again = q.pop();
    EXPECT_EQ(again.number, 1u);
    q.sent(again, t0 + 20ms);
    // Refused again: twice the pause.
    EXPECT_EQ(q.answer(error("slow down"), "script", t0 + 20ms).kind, Kind::slowDown);
    EXPECT_FALSE(q.mayGo(t0 + 59ms));
    EXPECT_TRUE(q.mayGo(t0 + 60ms));
    q.sent(q.pop(), t0 + 60ms);
    // Through: the pace is kept, a little shorter (35 ms of 40), for the next line.
    EXPECT_EQ(q.answer(said("message", "script"), "script", t0 + 60ms).kind, Kind::delivered);
    EXPECT_FALSE(q.mayGo(t0 + 94ms));
    EXPECT_TRUE(q.mayGo(t0 + 95ms));
    EXPECT_EQ(q.pop().number, 2u);
}

TEST(SockctlScriptQueue, PauseGrowsToTenSecondsAtMost) {
    ScriptQueue q = sending(1);
    auto now = t0;
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(q.answer(error("slow down"), "script", now).kind, Kind::slowDown);
        q.sent(q.pop(), now);
    }
    EXPECT_EQ(q.answer(error("slow down"), "script", now).kind, Kind::slowDown);
    EXPECT_FALSE(q.mayGo(now + 10s - 1ms));
    EXPECT_TRUE(q.mayGo(now + 10s));
}

TEST(SockctlScriptQueue, OtherErrorsRefuseTheLineAndTheNextOneGoes) {
    ScriptQueue q = sending(2);
    auto answer = q.answer(error("unknown command /frob (try /help)"), "script", t0);
    EXPECT_EQ(answer.kind, Kind::refused);
    EXPECT_EQ(answer.line.number, 1u);
    EXPECT_TRUE(q.mayGo(t0));
    EXPECT_EQ(q.pop().number, 2u);
    EXPECT_TRUE(q.idle());
}

TEST(SockctlScriptQueue, EachCommandIsAnsweredByItsOwnReply) {
    struct Case {
        std::string line;
        ChatEvent answer;
        ChatEvent notAnAnswer;
    };
    const Case cases[] = {
        {"/me waves", said("action", "script"), said("message", "script")},
        {"/ME waves", said("action", "script"), said("action", "bob")},
        {"/msg bob psst", said("private", "script"), said("private", "bob")},
        {"//etc/passwd", said("message", "script"), said("action", "script")},
        // The answer to /nick comes from the nick we had.
        {"/nick robert",
         event({{"type", "nick"}, {"room", "lobby"}, {"from", "script"}, {"nick", "robert"}}),
         event({{"type", "nick"}, {"room", "lobby"}, {"from", "bob"}, {"nick", "rob"}})},
        {"/join dev", event({{"type", "join"}, {"room", "dev"}, {"nick", "script"}}),
         event({{"type", "join"}, {"room", "lobby"}, {"nick", "bob"}})},
        {"/who", event({{"type", "who"}, {"room", "lobby"}, {"nicks", {"script"}}}),
         said("message", "bob")},
        {"/rooms", event({{"type", "rooms"}, {"rooms", json::array()}}), said("message", "bob")},
        {"/help", event({{"type", "notice"}, {"text", "commands:"}}), said("message", "bob")},
        {"/quit", event({{"type", "notice"}, {"text", "bye"}}), said("message", "bob")},
        // An unknown command has no answer but an error: even our own message is not one.
        {"/frob", error("unknown command /frob (try /help)"), said("message", "script")},
    };
    for (const auto& c : cases) {
        ScriptQueue q;
        q.push({c.line, 1});
        q.sent(q.pop(), t0);
        EXPECT_EQ(q.answer(c.notAnAnswer, "script", t0).kind, Kind::none) << c.line;
        auto kind = q.answer(c.answer, "script", t0).kind;
        EXPECT_NE(kind, Kind::none) << c.line;
        EXPECT_FALSE(q.inFlight()) << c.line;
    }
}

TEST(SockctlScriptQueue, ALineWithoutAnswerIsGivenUpAfterTheTimeout) {
    ScriptQueue q = sending(2);
    EXPECT_EQ(q.wakeAt(t0), t0 + 5s);
    EXPECT_FALSE(q.overdue(t0 + 5s - 1ms));
    auto late = q.overdue(t0 + 5s);
    ASSERT_TRUE(late);
    EXPECT_EQ(late->number, 1u);
    EXPECT_TRUE(q.mayGo(t0 + 5s));
    EXPECT_EQ(q.pop().number, 2u);
}

TEST(SockctlScriptQueue, TheLineInFlightGoesAgainAfterALostConnection) {
    ScriptQueue q = sending(2);
    EXPECT_EQ(q.answer(error("slow down"), "script", t0).kind, Kind::slowDown);
    q.sent(q.pop(), t0 + 20ms);
    q.connectionLost();
    // A new connection, a new allowance: no pause, and line 1 first.
    EXPECT_TRUE(q.mayGo(t0 + 20ms));
    EXPECT_FALSE(q.wakeAt(t0 + 20ms));
    EXPECT_EQ(q.pop().number, 1u);
    EXPECT_EQ(q.pop().number, 2u);
    EXPECT_TRUE(q.idle());
}

}  // namespace
}  // namespace sockctl
