// Black-box tests of the chat service through the real daemon.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "chat_client.h"
#include "daemon_process.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

std::string chatConfig(const std::string& extra = "") {
    return testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n", extra);
}

}  // namespace

TEST(Chat, GreetingHasWelcomeMotdGuestNickAndJoin) {
    DaemonProcess daemon(chatConfig("chat: {motd: \"line one\\nline two\"}\n"));
    ChatClient c(daemon.port());
    std::string welcome = c.nextLine();
    EXPECT_EQ(welcome.rfind("* Welcome to sockchatd! You are guest-", 0), 0u) << welcome;
    EXPECT_NE(welcome.find(" in #lobby."), std::string::npos) << welcome;
    EXPECT_EQ(c.nextLine(), "* line one");
    EXPECT_EQ(c.nextLine(), "* line two");
    EXPECT_EQ(c.nextLine().rfind("* guest-", 0), 0u);
}

TEST(Chat, RoomsKeepTheirMessagesAndNoticesToTheirMembers) {
    DaemonProcess daemon(chatConfig("threads: 3\n"));
    ChatClient alice(daemon.port()), bob(daemon.port()), carol(daemon.port());
    alice.readGreeting();
    bob.readGreeting();
    carol.readGreeting();
    alice.nick("alice");
    bob.nick("bob");
    carol.nick("carol");
    ASSERT_FALSE(
        alice.waitFor([](const std::string& l) { return l.ends_with(" is now known as carol"); })
            .empty());
    carol.send("/join dev");
    EXPECT_EQ(carol.waitForLine("* carol joined #dev"), "* carol joined #dev");
    EXPECT_EQ(alice.waitForLine("* carol left #lobby (joined #dev)"),
              "* carol left #lobby (joined #dev)");
    EXPECT_EQ(bob.waitForLine("* carol left #lobby (joined #dev)"),
              "* carol left #lobby (joined #dev)");

    alice.send("hello lobby");
    EXPECT_EQ(bob.waitForLine("<alice> hello lobby"), "<alice> hello lobby");
    EXPECT_EQ(alice.waitForLine("<alice> hello lobby"), "<alice> hello lobby");  // sender too
    carol.send("hello dev");
    EXPECT_EQ(carol.waitForLine("<carol> hello dev"), "<carol> hello dev");
    bob.send("/join dev");
    EXPECT_EQ(carol.waitForLine("* bob joined #dev"), "* bob joined #dev");
    bob.send("/nick robert");
    EXPECT_EQ(carol.waitForLine("* bob is now known as robert"), "* bob is now known as robert");
    // Alice (in #lobby) saw none of #dev: the next thing she sees is bob leaving.
    alice.send("marker");
    std::string line;
    std::vector<std::string> seen;
    while ((line = alice.nextLine()) != "<alice> marker" && !line.empty()) seen.push_back(line);
    EXPECT_EQ(seen, (std::vector<std::string>{"* bob left #lobby (joined #dev)"}));
    carol.send("/rooms");
    EXPECT_EQ(carol.waitForPrefix("* rooms:"), "* rooms: #dev (2), #lobby (1)");
    carol.send("/who");
    EXPECT_EQ(carol.waitForPrefix("* #dev:"), "* #dev: carol, robert");
    carol.send("/who lobby");
    EXPECT_EQ(carol.waitForPrefix("* #lobby:"), "* #lobby: alice");
    ASSERT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "join" && e.value("nick", "") == "carol" &&
               e.value("room", "") == "dev";
    }));
    ASSERT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "nick" && e.value("from", "") == "bob" &&
               e.value("nick", "") == "robert";
    }));
}

TEST(Chat, FiftyClientsOnFourWorkersSeeOneOrder) {
    DaemonProcess daemon(chatConfig("threads: 4\nchat: {history: 0}\n"));
    constexpr int kClients = 50, kEach = 4;
    std::vector<std::unique_ptr<ChatClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<ChatClient>(daemon.port()));
        clients.back()->readGreeting();
    }
    // Everyone has joined before anyone talks: wait until the last join reached the first.
    for (int i = 0; i < kClients; ++i) clients[i]->send("/mode json");
    std::vector<std::thread> talkers;
    for (int i = 0; i < kClients; ++i)
        talkers.emplace_back([&, i] {
            for (int k = 0; k < kEach; ++k)
                clients[i]->send("m" + std::to_string(i) + "-" + std::to_string(k));
        });
    for (auto& t : talkers) t.join();
    std::vector<std::vector<std::string>> orders(kClients);
    std::vector<std::thread> readers;
    for (int i = 0; i < kClients; ++i)
        readers.emplace_back([&, i] {
            while (orders[i].size() < kClients * kEach) {
                std::string line = clients[i]->nextLine(std::chrono::seconds(20));
                if (line.empty()) return;
                auto j = json::parse(line, nullptr, false);
                if (!j.is_discarded() && j.value("type", "") == "message")
                    orders[i].push_back(std::to_string(j["seq"].get<long>()) + ":" +
                                        j["text"].get<std::string>());
            }
        });
    for (auto& t : readers) t.join();
    ASSERT_EQ(orders[0].size(), static_cast<std::size_t>(kClients * kEach));
    for (int i = 1; i < kClients; ++i) EXPECT_EQ(orders[i], orders[0]) << "client " << i;
}

TEST(Chat, HistoryIsReplayedToNewcomersInOrder) {
    DaemonProcess daemon(chatConfig("chat: {history: 3}\n"));
    ChatClient a(daemon.port());
    a.readGreeting();
    a.nick("ann");
    for (int i = 1; i <= 5; ++i) a.send("msg " + std::to_string(i));
    a.send("/me waves");
    a.waitForLine("* ann waves");
    ChatClient late(daemon.port());
    late.nextLine();  // welcome
    late.nextLine();  // motd
    EXPECT_EQ(late.nextLine(), "[history] <ann> msg 4");
    EXPECT_EQ(late.nextLine(), "[history] <ann> msg 5");
    EXPECT_EQ(late.nextLine(), "[history] * ann waves");
}

TEST(Chat, PrivateMessagesReachOnlySenderAndRecipient) {
    DaemonProcess daemon(chatConfig("threads: 2\n"));
    ChatClient a(daemon.port()), b(daemon.port()), c(daemon.port());
    a.readGreeting();
    b.readGreeting();
    std::string cNick = c.readGreeting();
    a.nick("amy");
    b.nick("ben");
    a.send("/msg BEN psst secret");  // nicks match ignoring case
    EXPECT_EQ(b.waitForLine("[msg from amy] psst secret"), "[msg from amy] psst secret");
    EXPECT_EQ(a.waitForLine("[msg to ben] psst secret"), "[msg to ben] psst secret");
    a.send("after");
    c.waitForLine("<amy> after");
    for (const auto& line : c.skipped()) EXPECT_EQ(line.find("secret"), std::string::npos) << line;
}

TEST(Chat, BadCommandsGetAnErrorLineAndKeepTheConnection) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port()), b(daemon.port());
    a.readGreeting();
    b.readGreeting();
    b.nick("taken");
    ASSERT_FALSE(a.waitFor([](const std::string& l) {
                      return l.ends_with(" is now known as taken");
                  }).empty());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/foo", "! unknown command /foo (try /help)"},
        {"/nick bad!name", "! nick must be 1-32 characters of A-Z a-z 0-9 - _ ."},
        {"/nick " + std::string(33, 'x'), "! nick must be 1-32 characters of A-Z a-z 0-9 - _ ."},
        {"/nick TAKEN", "! nick TAKEN is taken"},
        {"/nick guest-99", "! nicks starting with guest- are reserved"},
        {"/msg nobody hi", "! no such nick nobody"},
        {"/msg taken", "! usage: /msg NICK TEXT"},
        {"/join bad room", "! room must be 1-32 characters of A-Z a-z 0-9 - _ ."},
        {"/join lobby", "! you are already in #lobby"},
        {"/who nosuch", "! no such room #nosuch"},
        {"/me", "! usage: /me TEXT"},
        {"/mode xml", "! usage: /mode json|text"},
    };
    for (const auto& [command, error] : cases) {
        a.send(command);
        EXPECT_EQ(a.nextLine(), error) << command;
    }
    a.send("still here");
    EXPECT_EQ(b.waitFor([](const std::string& l) { return l.ends_with("> still here"); }).empty(),
              false);
    a.send("//etc/passwd is a path");
    EXPECT_EQ(b.waitFor([](const std::string& l) {
                   return l.ends_with("> /etc/passwd is a path");
               }).empty(),
              false);
}

TEST(Chat, OverlongLineIsDiscardedWithAnErrorAndTheConnectionKept) {
    DaemonProcess daemon(chatConfig("limits: {max_line_bytes: 64}\n"));
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.send(std::string(200, 'x'));
    EXPECT_EQ(a.nextLine(), "! line too long (over 64 bytes), discarded");
    a.send(std::string(64, 'y'));  // exactly the limit is fine
    EXPECT_EQ(a.nextLine(), "<" + nick + "> " + std::string(64, 'y'));
}

TEST(Chat, FloodIsRateLimited) {
    DaemonProcess daemon(chatConfig("limits: {messages_per_second: 1, burst: 3}\n"));
    ChatClient flooder(daemon.port()), watcher(daemon.port());
    std::string nick = flooder.readGreeting();
    watcher.readGreeting();
    std::string burst;
    for (int i = 0; i < 10; ++i) burst += "flood " + std::to_string(i) + "\n";
    flooder.sendRaw(burst);
    EXPECT_EQ(flooder.waitForLine("! slow down"), "! slow down");
    flooder.send("/help");  // commands count too; wait for the bucket to answer something
    watcher.send("end");
    watcher.waitFor([](const std::string& l) { return l.ends_with("> end"); });
    int delivered = 0;
    for (const auto& l : watcher.skipped()) delivered += l.rfind("<" + nick + "> flood", 0) == 0;
    EXPECT_GE(delivered, 3);
    EXPECT_LT(delivered, 10);
}

TEST(Chat, SlowConsumerIsDroppedAndOthersKeepReceiving) {
    DaemonProcess daemon(
        chatConfig("threads: 2\nlimits: {output_buffer_bytes: 8KiB, messages_per_second: 10000, "
                   "burst: 100000}\n"));
    ChatClient slow(daemon.port());
    int small = 2048;
    ::setsockopt(slow.socket().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string slowNick = slow.readGreeting();
    ChatClient reader(daemon.port()), talker(daemon.port());
    reader.readGreeting();
    std::string talkerNick = talker.readGreeting();
    // ~6 MB: past what the kernel can buffer for the slow reader (tcp_wmem max is 4 MiB) plus
    // its 8 KiB output cap in the daemon.
    const std::string text(3000, 'z');
    constexpr int kMessages = 2000;
    // The reader keeps up (the talker never gets more than a few messages ahead of it); the
    // slow client never reads at all.
    std::mutex mutex;
    std::condition_variable progressed;
    int got = 0;
    bool readerDone = false;
    std::thread readerThread([&] {
        for (;;) {
            std::string l = reader.nextLine(std::chrono::seconds(20));
            if (l.empty()) break;
            if (l != "<" + talkerNick + "> " + text) continue;
            std::lock_guard lock(mutex);
            if (++got == kMessages) break;
            progressed.notify_all();
        }
        std::lock_guard lock(mutex);
        readerDone = true;
        progressed.notify_all();
    });
    // The talker gets its own messages back: it must read them, or it is a slow consumer too.
    std::thread talkerDrain([&] { talker.socket().waitClosed(std::chrono::seconds(60)); });
    for (int i = 0; i < kMessages; ++i) {
        talker.send(text);
        std::unique_lock lock(mutex);
        if (!progressed.wait_for(lock, std::chrono::seconds(20),
                                 [&] { return readerDone || got >= i - 8; }) ||
            readerDone)
            break;
    }
    readerThread.join();
    talker.socket().shutdownWrite();  // the daemon closes in turn, which ends the drain
    talkerDrain.join();
    EXPECT_EQ(got, kMessages);
    auto dropped = daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "slow consumer";
    });
    ASSERT_TRUE(dropped);
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "leave" && e.value("nick", "") == slowNick &&
               e.value("reason", "") == "slow consumer";
    }));
}

TEST(Chat, EscapeSequencesAndControlsAreStripped) {
    DaemonProcess daemon(chatConfig());
    ChatClient evil(daemon.port()), victim(daemon.port());
    std::string nick = evil.readGreeting();
    victim.readGreeting();
    evil.sendRaw(
        "\x1b]0;pwned\x07hi \x1b[2J\x1b[31mred\x1b[0m\x07\x01\x7f\xc2\x9b"
        "1mend\tok\n");
    EXPECT_EQ(victim.waitForPrefix("<" + nick + ">"), "<" + nick + "> hi red1mend ok");
}

TEST(Chat, InvalidUtf8IsReplaced) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.sendRaw("caf\xc3 ok \xff\xfe \xe2\x82\xac\n");
    EXPECT_EQ(a.nextLine(),
              "<" + nick + "> caf\xEF\xBF\xBD ok \xEF\xBF\xBD\xEF\xBF\xBD \xE2\x82\xAC");
}

TEST(Chat, JsonModeLinesAreJsonObjects) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port()), b(daemon.port());
    std::string aNick = a.readGreeting();
    std::string bNick = b.readGreeting();
    a.waitForLine("* " + bNick + " joined #lobby");
    a.send("/mode json");
    auto welcome = json::parse(a.nextLine());
    EXPECT_EQ(welcome["type"], "welcome");
    EXPECT_EQ(welcome["nick"], aNick);
    EXPECT_EQ(welcome["room"], "lobby");
    b.nick("bea");
    a.send("hi \"there\"");
    a.send("/me nods");
    a.send("/who");
    a.send("/rooms");
    a.send("/bogus");
    a.send("/msg bea x");
    // Direct replies (who, rooms, error, private) and room events (posted through the hub)
    // may interleave: check each by type.
    std::map<std::string, json> byType;
    while (byType.size() < 7) {
        std::string line = a.nextLine();
        ASSERT_FALSE(line.empty()) << "got " << byType.size() << " types";
        auto j = json::parse(line, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << line;
        ASSERT_TRUE(j.contains("ts")) << line;
        byType[j["type"].get<std::string>()] = j;
    }
    EXPECT_EQ(byType["nick"]["nick"], "bea");
    EXPECT_EQ(byType["message"]["text"], "hi \"there\"");
    EXPECT_EQ(byType["message"]["from"], aNick);
    EXPECT_EQ(byType["message"]["room"], "lobby");
    EXPECT_EQ(byType["action"]["text"], "nods");
    EXPECT_EQ(byType["action"]["seq"].get<int>(), byType["message"]["seq"].get<int>() + 1);
    EXPECT_EQ(byType["who"]["nicks"].size(), 2u);
    EXPECT_EQ(byType["rooms"]["rooms"][0]["name"], "lobby");
    EXPECT_EQ(byType["rooms"]["rooms"][0]["members"], 2);
    EXPECT_EQ(byType["error"]["text"], "unknown command /bogus (try /help)");
    EXPECT_EQ(byType["private"]["to"], "bea");
}

TEST(Chat, TutorialChatClientWithoutNewlineGetsAnswered) {
    DaemonProcess daemon(chatConfig());
    auto r = runProgram(
        {"/usr/bin/python3", TUTORIAL_CHAT_CLIENT, "127.0.0.1", std::to_string(daemon.port())});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_NE(r.stdoutText.find("> Wilson\n"), std::string::npos) << r.stdoutText;
}

TEST(Chat, ShutdownTellsEveryClient) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    a.readGreeting();
    a.send("/mode json");
    a.nextLine();
    ChatClient b(daemon.port());
    b.readGreeting();
    daemon.signal(SIGTERM);
    EXPECT_EQ(json::parse(a.waitFor([](const std::string& l) {
                  return l.find("shutting down") != std::string::npos;
              }))["type"],
              "notice");
    EXPECT_EQ(b.waitForLine("* server shutting down"), "* server shutting down");
    EXPECT_EQ(daemon.waitExit(), 0);
}

TEST(Chat, QuitSaysByeAndLeaves) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port()), b(daemon.port());
    std::string nick = a.readGreeting();
    b.readGreeting();
    a.send("/quit gone fishing");
    EXPECT_EQ(a.waitForLine("* bye"), "* bye");
    EXPECT_TRUE(a.socket().waitClosed());
    EXPECT_EQ(b.waitForPrefix("* " + nick + " left"),
              "* " + nick + " left #lobby (quit: gone fishing)");
}
