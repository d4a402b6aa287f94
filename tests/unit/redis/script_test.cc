#include "sockchat/redis/script.h"

#include <gtest/gtest.h>

#include "redis_harness.h"

namespace sockchat::testing {
namespace {

std::int64_t commandCalls(const RedisServer& server, const std::string& command) {
    std::string info = server.command({"INFO", "commandstats"}).str();
    std::string key = "cmdstat_" + command + ":calls=";
    auto at = info.find(key);
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + key.size()));
}

class ScriptTest : public RedisTest {};

TEST_F(ScriptTest, Sha1MatchesWhatRedisComputes) {
    RedisServer server;
    redis::Script script("return 1");
    EXPECT_EQ(server.command({"SCRIPT", "LOAD", "return 1"}), Reply::string(script.sha1()));
}

TEST_F(ScriptTest, FallsBackToEvalOnNoscriptThenUsesEvalsha) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    redis::Script script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
    auto runScript = [&](const std::string& arg) {
        auto promise = std::make_shared<std::promise<Reply>>();
        auto future = promise->get_future();
        loop.call([&] {
            script.run(c, {"counter"}, {arg},
                       [promise](Reply r) { promise->set_value(std::move(r)); });
            return 0;
        });
        EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
        return future.get();
    };
    // Unknown to a fresh server: EVALSHA says NOSCRIPT, EVAL runs (and caches) it.
    EXPECT_EQ(runScript("x"),
              Reply::array({Reply::string("counter"), Reply::string("x"), Reply::integer(1)}));
    EXPECT_EQ(commandCalls(server, "evalsha"), 1);
    EXPECT_EQ(commandCalls(server, "eval"), 1);
    // Cached now: EVALSHA alone.
    EXPECT_EQ(runScript("y").elements().at(2), Reply::integer(2));
    EXPECT_EQ(commandCalls(server, "evalsha"), 2);
    EXPECT_EQ(commandCalls(server, "eval"), 1);
    // Forgotten again: the caller still just gets the result.
    EXPECT_EQ(server.command({"SCRIPT", "FLUSH"}), Reply::status("OK"));
    EXPECT_EQ(runScript("z").elements().at(2), Reply::integer(3));
    EXPECT_EQ(commandCalls(server, "eval"), 2);
}

TEST_F(ScriptTest, ScriptMayGoAwayWhileItsFallbackIsInFlight) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    auto promise = std::make_shared<std::promise<Reply>>();
    auto future = promise->get_future();
    loop.call([&] {
        redis::Script script("return ARGV[1]");
        script.run(c, {}, {"still here"}, [promise](Reply r) { promise->set_value(std::move(r)); });
        return 0;  // the Script is gone before EVALSHA's NOSCRIPT comes back
    });
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(future.get(), Reply::string("still here"));
    EXPECT_EQ(commandCalls(server, "eval"), 1);
}

TEST_F(ScriptTest, ScriptErrorsReachTheCallerUnchanged) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    redis::Script script("return redis.error_reply('MYERR custom')");
    auto promise = std::make_shared<std::promise<Reply>>();
    auto future = promise->get_future();
    loop.call([&] {
        script.run(c, {}, {}, [promise](Reply r) { promise->set_value(std::move(r)); });
        return 0;
    });
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    Reply reply = future.get();
    ASSERT_TRUE(reply.isError());
    EXPECT_EQ(reply.str().rfind("MYERR custom", 0), 0u) << reply.str();
}

}  // namespace
}  // namespace sockchat::testing
