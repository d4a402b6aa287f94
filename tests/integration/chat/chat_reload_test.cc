// A reload replaces the chat settings at once: newcomers get the new MOTD, and the line limit and
// the message rate apply to new and existing clients alike.
#include <gtest/gtest.h>

#include <fstream>

#include "chat_client.h"
#include "daemon_process.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

std::string chatConfig(const std::string& motd, const std::string& limits) {
    return testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n",
                      "chat: {motd: \"" + motd + "\"}\nlimits: {" + limits + "}\n");
}

const std::string kBefore = "max_line_bytes: 4KiB, messages_per_second: 1000, burst: 1000";
const std::string kAfter = "max_line_bytes: 64, messages_per_second: 1, burst: 3";

class ChatReload : public ::testing::Test {
  protected:
    ChatReload() : daemon_(chatConfig("old motd", kBefore)), before_(daemon_.port()) {
        beforeNick_ = before_.readGreeting();
        std::ofstream(daemon_.configPath()) << chatConfig("new motd", kAfter);
        daemon_.signal(SIGHUP);
        reloaded_ = daemon_
                        .waitForEvent([](const json& e) {
                            return e.value("event", "") == "reload" &&
                                   e.value("msg", "") == "configuration reloaded";
                        })
                        .has_value();
    }

    DaemonProcess daemon_;
    ChatClient before_;  // connected before the reload
    std::string beforeNick_;
    bool reloaded_ = false;
};

// The next thing a client sees after a line of `bytes` bytes: the refusal, or the line itself.
std::string answerToLineOf(ChatClient& client, std::size_t bytes) {
    client.send(std::string(bytes, 'x'));
    return client.nextLine();
}

}  // namespace

TEST_F(ChatReload, NewcomersGetTheNewMotd) {
    ASSERT_TRUE(reloaded_) << daemon_.stderrText();
    ChatClient after(daemon_.port());
    EXPECT_EQ(after.nextLine().rfind("-!- Welcome to sockchatd!", 0), 0u);
    EXPECT_EQ(after.nextLine(), "-!- new motd");
}

TEST_F(ChatReload, TheLineLimitAppliesToExistingAndNewClients) {
    ASSERT_TRUE(reloaded_) << daemon_.stderrText();
    const std::string tooLong = "! line too long (over 64 bytes), discarded";
    EXPECT_EQ(answerToLineOf(before_, 100), tooLong);
    ChatClient after(daemon_.port());
    after.readGreeting();
    EXPECT_EQ(answerToLineOf(after, 100), tooLong);
}

TEST_F(ChatReload, TheMessageRateAppliesToExistingClients) {
    ASSERT_TRUE(reloaded_) << daemon_.stderrText();
    // Ten lines in one write: the old rate lets all of them through, the new one (a burst of 3,
    // then 1 a second) refuses most. Whichever comes first tells: "slow down" or the tenth line.
    std::string flood;
    for (int i = 0; i < 10; ++i) flood += "flood " + std::to_string(i) + "\n";
    before_.sendRaw(flood);
    const std::string last = "<" + beforeNick_ + "> flood 9";
    EXPECT_EQ(
        before_.waitFor([&](const std::string& l) { return l == "! slow down" || l == last; }),
        "! slow down");
}
