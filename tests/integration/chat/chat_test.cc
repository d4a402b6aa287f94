// Black-box tests of the chat service through the real daemon.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "chat_client.h"
#include "daemon_process.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

std::string chatConfig(const std::string& extra = "") {
    return testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n", extra);
}

std::set<std::string> keysOf(const json& j) {
    std::set<std::string> keys;
    for (const auto& [key, _] : j.items()) keys.insert(key);
    return keys;
}

// One JSON line with exactly the fields PROTOCOL.md lists for its type, and a well-formed ts.
json protocolLine(const std::string& line, const std::string& type, std::set<std::string> fields) {
    auto j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (j.is_discarded()) return json::object();
    fields.insert({"type", "ts"});
    EXPECT_EQ(j.value("type", ""), type) << line;
    EXPECT_EQ(keysOf(j), fields) << line;
    std::string ts = j.value("ts", "");
    EXPECT_TRUE(ts.size() == 24 && ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' &&
                ts.back() == 'Z')
        << line;
    return j;
}

// Waits until the daemon is done with the connection of `nick`'s owner: its disconnect event is
// logged after the nick was released. (The room's leave line is no such sign: it can reach the
// others before the nick is released, as seen under TSan.)
[[nodiscard]] bool nickReleased(const DaemonProcess& daemon, const std::string& nick) {
    return daemon
        .waitForEvent([&](const json& e) {
            return e.value("event", "") == "disconnect" && e.value("nick", "") == nick;
        })
        .has_value();
}

}  // namespace

TEST(Chat, GreetingHasWelcomeMotdGuestNickAndJoin) {
    DaemonProcess daemon(chatConfig("chat: {motd: \"line one\\nline two\"}\n"));
    ChatClient c(daemon.port());
    std::string welcome = c.nextLine();
    EXPECT_EQ(welcome.rfind("-!- Welcome to sockchatd! You are guest-", 0), 0u) << welcome;
    EXPECT_NE(welcome.find(" in #lobby."), std::string::npos) << welcome;
    EXPECT_EQ(c.nextLine(), "-!- line one");
    EXPECT_EQ(c.nextLine(), "-!- line two");
    EXPECT_EQ(c.nextLine().rfind("-!- guest-", 0), 0u);
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
    // /join adds a room; /part leaves one.
    carol.send("/join dev");
    carol.send("/part lobby");
    EXPECT_EQ(carol.waitForLine("-!- carol joined #dev"), "-!- carol joined #dev");
    EXPECT_EQ(carol.waitForLine("-!- carol left #lobby (part)"), "-!- carol left #lobby (part)");
    EXPECT_EQ(alice.waitForLine("-!- carol left #lobby (part)"), "-!- carol left #lobby (part)");
    EXPECT_EQ(bob.waitForLine("-!- carol left #lobby (part)"), "-!- carol left #lobby (part)");

    alice.send("hello lobby");
    EXPECT_EQ(bob.waitForLine("<alice> hello lobby"), "<alice> hello lobby");
    EXPECT_EQ(alice.waitForLine("<alice> hello lobby"), "<alice> hello lobby");  // sender too
    carol.send("hello dev");
    EXPECT_EQ(carol.waitForLine("<carol> hello dev"), "<carol> hello dev");
    bob.send("/join dev");
    bob.send("/part #lobby bye for now");
    EXPECT_EQ(carol.waitForLine("-!- bob joined #dev"), "-!- bob joined #dev");
    EXPECT_EQ(bob.waitForLine("-!- bob left #lobby (part: bye for now)"),
              "-!- bob left #lobby (part: bye for now)");
    bob.send("/nick robert");
    EXPECT_EQ(carol.waitForLine("-!- bob is now known as robert"),
              "-!- bob is now known as robert");
    // Alice (in #lobby) saw none of #dev: the next thing she sees is bob leaving.
    alice.send("marker");
    std::string line;
    std::vector<std::string> seen;
    while ((line = alice.nextLine()) != "<alice> marker" && !line.empty()) seen.push_back(line);
    EXPECT_EQ(seen, (std::vector<std::string>{"-!- bob left #lobby (part: bye for now)"}));
    carol.send("/rooms");
    EXPECT_EQ(carol.waitForPrefix("-!- rooms:"), "-!- rooms: #dev (2), #lobby (1)");
    carol.send("/who");
    EXPECT_EQ(carol.waitForPrefix("-!- #dev:"), "-!- #dev: carol, robert");
    carol.send("/who lobby");
    EXPECT_EQ(carol.waitForPrefix("-!- #lobby:"), "-!- #lobby: alice");
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
    constexpr int kBurst = 50, kEach = 4;
    std::vector<std::unique_ptr<ChatClient>> clients;
    auto workersWithMembers = [&] {
        std::set<std::uint64_t> workers;
        for (const auto& e : daemon.events())
            if (e.value("event", "") == "join") workers.insert(e.value("worker", std::uint64_t{}));
        return workers.size();
    };
    // Connect a burst before reading any greeting: while one worker is busy accepting, the
    // kernel wakes another (EPOLLEXCLUSIVE prefers the first idle worker, so connecting one at
    // a time lands nearly everyone on the same worker). The point is one order across threads,
    // so should a burst still land on one worker, add small bursts until it did not.
    auto connectBurst = [&](int n) {
        std::size_t first = clients.size();
        for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<ChatClient>(daemon.port()));
        for (std::size_t i = first; i < clients.size(); ++i) clients[i]->readGreeting();
    };
    connectBurst(kBurst);
    for (int extra = 0; extra < 20 && workersWithMembers() < 2; ++extra) connectBurst(5);
    ASSERT_GE(workersWithMembers(), 2u);
    const int kClients = static_cast<int>(clients.size());
    // Everyone has joined (readGreeting waits for the own join) and is in JSON mode before
    // anyone talks: a message reaching a client still in text mode would look lost.
    for (int i = 0; i < kClients; ++i) clients[i]->send("/mode json");
    for (int i = 0; i < kClients; ++i)
        ASSERT_FALSE(clients[i]
                         ->waitFor([](const std::string& l) {
                             return l.rfind(R"({"type":"welcome")", 0) == 0;
                         })
                         .empty())
            << "client " << i;
    std::vector<std::thread> talkers;
    for (int i = 0; i < kClients; ++i)
        talkers.emplace_back([&, i] {
            for (int k = 0; k < kEach; ++k)
                clients[i]->send("m" + std::to_string(i) + "-" + std::to_string(k));
        });
    for (auto& t : talkers) t.join();
    std::vector<std::vector<std::string>> orders(kClients);
    std::vector<std::thread> readers;
    const std::size_t total = static_cast<std::size_t>(kClients * kEach);
    for (int i = 0; i < kClients; ++i)
        readers.emplace_back([&, i] {
            while (orders[i].size() < total) {
                std::string line = clients[i]->nextLine(std::chrono::seconds(20));
                if (line.empty()) return;
                auto j = json::parse(line, nullptr, false);
                if (!j.is_discarded() && j.value("type", "") == "message")
                    orders[i].push_back(std::to_string(j["seq"].get<long>()) + ":" +
                                        j["text"].get<std::string>());
            }
        });
    for (auto& t : readers) t.join();
    ASSERT_EQ(orders[0].size(), total);
    for (int i = 1; i < kClients; ++i) EXPECT_EQ(orders[i], orders[0]) << "client " << i;
    // One order means: seq strictly increasing, and each sender's lines in the order sent.
    std::map<std::string, int> nextFromSender;
    long lastSeq = 0;
    for (const auto& entry : orders[0]) {
        long seq = std::stol(entry.substr(0, entry.find(':')));
        EXPECT_GT(seq, lastSeq) << entry;
        lastSeq = seq;
        std::string text = entry.substr(entry.find(':') + 1);  // m<i>-<k>
        std::string sender = text.substr(0, text.find('-'));
        EXPECT_EQ(std::stoi(text.substr(text.find('-') + 1)), nextFromSender[sender]++) << entry;
    }
}

TEST(Chat, HistoryIsReplayedToNewcomersInOrder) {
    DaemonProcess daemon(chatConfig("chat: {history: 3}\n"));
    ChatClient a(daemon.port());
    a.readGreeting();
    a.nick("ann");
    for (int i = 1; i <= 5; ++i) a.send("msg " + std::to_string(i));
    a.send("/me waves");
    ASSERT_EQ(a.waitForLine("* ann waves"), "* ann waves");
    ChatClient late(daemon.port());
    EXPECT_EQ(late.nextLine().rfind("-!- Welcome to sockchatd!", 0), 0u);
    EXPECT_EQ(late.nextLine().rfind("-!- ", 0), 0u);  // motd
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
    ASSERT_EQ(c.waitForLine("<amy> after"), "<amy> after");
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
        {"/msg taken", "! usage: /msg NICK TEXT or /msg #ROOM TEXT"},
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
    ASSERT_FALSE(
        watcher.waitFor([](const std::string& l) { return l.ends_with("> end"); }).empty());
    int delivered = 0;
    for (const auto& l : watcher.skipped()) delivered += l.rfind("<" + nick + "> flood", 0) == 0;
    EXPECT_GE(delivered, 3);
    EXPECT_LT(delivered, 10);
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "rate limit" &&
               e.value("nick", "") == nick;
    }));
}

TEST(Chat, SlowConsumerIsDroppedAndOthersKeepReceiving) {
    DaemonProcess daemon(
        chatConfig("threads: 2\nlimits: {output_buffer_bytes: 64KiB, max_line_bytes: 64KiB, "
                   "messages_per_second: 10000, burst: 100000}\n"));
    ChatClient slow(daemon.port());
    int small = 2048;
    ::setsockopt(slow.socket().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string slowNick = slow.readGreeting();
    ChatClient reader(daemon.port()), talker(daemon.port());
    reader.readGreeting();
    std::string talkerNick = talker.readGreeting();
    const std::string filler(32 * 1024, 'z');
    auto expected = [&](int i) { return "<" + talkerNick + "> " + std::to_string(i) + filler; };
    auto isDropped = [](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "slow consumer";
    };
    // The reader keeps up (the talker never gets more than a few messages ahead of it) and must
    // get every message, in order; the slow client never reads at all. The talker goes on until
    // the daemon dropped the slow client (a few MB: the kernel buffers what it can first), then
    // a little longer.
    std::mutex mutex;
    std::condition_variable progressed;
    int got = 0;
    bool readerFailed = false;
    std::thread readerThread([&] {
        for (int i = 0;;) {
            std::string l = reader.nextLine(std::chrono::seconds(20));
            std::lock_guard lock(mutex);
            if (l.empty()) break;  // the talker shut down, or nothing came
            if (!l.starts_with("<" + talkerNick + "> ")) continue;  // joins, the slow one's leave
            if (l != expected(i++)) {
                readerFailed = true;
                break;
            }
            ++got;
            progressed.notify_all();
        }
        readerFailed = readerFailed || got == 0;
        progressed.notify_all();
    });
    // The talker gets its own messages back: it must read them, or it is a slow consumer too.
    // Its result is checked after the join: the drain ends when the daemon closes the talker.
    bool talkerClosed = false;
    std::thread talkerDrain(
        [&] { talkerClosed = talker.socket().waitClosed(std::chrono::seconds(60)); });
    constexpr int kMaxMessages = 2000;  // 64 MB: far more than any kernel buffers
    int sent = 0, afterDrop = -1;
    while (sent < kMaxMessages && afterDrop < 20) {
        talker.send(std::to_string(sent) + filler);
        ++sent;
        if (afterDrop >= 0)
            ++afterDrop;
        else if (daemon.countEvents(isDropped) > 0)
            afterDrop = 0;
        std::unique_lock lock(mutex);
        if (!progressed.wait_for(lock, std::chrono::seconds(20),
                                 [&] { return readerFailed || got >= sent - 4; }) ||
            readerFailed)
            break;
    }
    {
        std::unique_lock lock(mutex);
        progressed.wait_for(lock, std::chrono::seconds(20),
                            [&] { return readerFailed || got == sent; });
    }
    reader.socket().shutdownWrite();  // ends the reader thread (its next read sees EOF)
    readerThread.join();
    talker.socket().shutdownWrite();  // the daemon closes in turn, which ends the drain
    talkerDrain.join();
    EXPECT_TRUE(talkerClosed);
    EXPECT_GE(afterDrop, 0) << "never dropped after " << sent << " messages";
    EXPECT_FALSE(readerFailed);
    EXPECT_EQ(got, sent);
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "leave" && e.value("nick", "") == slowNick &&
               e.value("reason", "") == "slow consumer";
    }));
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("reason", "") == "slow consumer";
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

// Bidi controls and other invisible characters (sanitize.h) are removed from every kind of user
// text, in both modes, in history and in the log: "exe.txt" after an RLO must not show as
// "txt.exe" to anyone.
TEST(Chat, InvisibleFormatCharactersNeverReachPeers) {
    const std::string rlo = "\xe2\x80\xae", zwsp = "\xe2\x80\x8b", lri = "\xe2\x81\xa6",
                      tag = "\xf3\xa0\x81\x81";  // U+E0041, an invisible "A"
    auto hidden = [&](const std::string& word) { return rlo + word + zwsp + lri + tag; };
    auto invisible = [&](const std::string& line) {
        for (const std::string& bad : {rlo, zwsp, lri, tag, std::string("\\u202")})
            if (line.find(bad) != std::string::npos) return true;
        return false;
    };
    // Reads until every expected line has come (in any order: private lines and room events
    // take different paths); every line read must be free of invisible characters.
    auto expectLines = [&](ChatClient& c, std::set<std::string> expected) {
        while (!expected.empty()) {
            std::string line = c.nextLine();
            if (line.empty()) break;
            EXPECT_FALSE(invisible(line)) << line;
            expected.erase(line);
        }
        EXPECT_TRUE(expected.empty()) << "never came: " << *expected.begin();
    };

    DaemonProcess daemon(chatConfig("threads: 2\nchat: {history: 10}\n"));
    ChatClient watcher(daemon.port());  // JSON mode
    watcher.send("/hello json nick=wat");
    ASSERT_FALSE(watcher.waitForPrefix(R"({"type":"join","room":"lobby","nick":"wat")").empty());
    ChatClient victim(daemon.port());
    victim.readGreeting();
    victim.nick("vic");
    ChatClient evil(daemon.port());
    evil.readGreeting();
    evil.nick("evil");

    evil.send("say " + hidden("exe.txt"));
    evil.send("/me " + hidden("waves"));
    evil.send("/msg vic " + hidden("psst"));
    evil.send("/msg wat " + hidden("psst"));
    evil.send("/msg #lobby " + hidden("aside"));
    evil.send("/topic " + hidden("news"));
    evil.send("/away " + hidden("lunch"));
    evil.send("/whois evil");
    expectLines(evil, {"[msg to vic] psst", "[msg to wat] psst", "-!- you are away: lunch",
                       "-!- evil: in #lobby; away: lunch"});
    watcher.send("/msg evil hi");  // the away text, as another user sees it
    evil.send("/quit " + hidden("gone"));

    expectLines(victim,
                {"<evil> say exe.txt", "* evil waves", "[msg from evil] psst", "<evil> aside",
                 "-!- evil set the topic of #lobby: news", "-!- evil left #lobby (quit: gone)"});
    std::set<std::string> jsonSeen;
    for (std::string line; jsonSeen.size() < 8 && !(line = watcher.nextLine()).empty();) {
        EXPECT_FALSE(invisible(line)) << line;
        auto j = json::parse(line, nullptr, false);
        std::string type = j.value("type", "");
        if (type == "message" || type == "action" || type == "topic" || type == "notice" ||
            type == "private")
            jsonSeen.insert(type + ":" + j.value("text", ""));
        if (type == "leave") jsonSeen.insert("leave:" + j.value("reason", ""));
    }
    EXPECT_EQ(jsonSeen,
              (std::set<std::string>{"message:say exe.txt", "action:waves", "private:psst",
                                     "message:aside", "topic:news", "private:hi",
                                     "notice:evil is away: lunch", "leave:quit: gone"}));

    // History, in both modes, and the topic shown on join.
    ChatClient late(daemon.port());
    late.readGreeting();
    for (const auto& line : late.skipped()) EXPECT_FALSE(invisible(line)) << line;
    std::set<std::string> seen(late.skipped().begin(), late.skipped().end());
    EXPECT_TRUE(seen.count("[history] <evil> say exe.txt"));
    EXPECT_TRUE(seen.count("[history] * evil waves"));
    EXPECT_TRUE(seen.count("-!- topic of #lobby: news"));
    ChatClient lateJson(daemon.port());
    lateJson.send("/hello json nick=late2");
    std::vector<std::string> history;
    for (std::string line; !(line = lateJson.nextLine()).empty() &&
                           line.find(R"("type":"join")") == std::string::npos;) {
        EXPECT_FALSE(invisible(line)) << line;
        auto j = json::parse(line, nullptr, false);
        if (j.value("type", "") == "history") history.push_back(j.value("text", ""));
    }
    EXPECT_EQ(history, (std::vector<std::string>{"say exe.txt", "waves", "aside"}));

    // The log (debug level: message text is in it) has only the sanitised text.
    EXPECT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "message" && e.value("text", "") == "say exe.txt";
    }));
    EXPECT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("reason", "") == "quit: gone";
    }));
    EXPECT_FALSE(invisible(daemon.stderrText()));
}

// A /me can say anything after the nick, so it must not be able to look like a server line:
// those start with "-!- " in text mode (PROTOCOL.md), which no action, message or private line
// can.
TEST(Chat, AnActionCannotPassForAServerEvent) {
    DaemonProcess daemon(chatConfig("threads: 2\n"));
    ChatClient reader(daemon.port());
    reader.readGreeting();
    ChatClient forger(daemon.port());
    std::string nick = forger.readGreeting();
    forger.send("/me is now known as admin");
    forger.send("/me left #lobby (server restart)");
    forger.send("/me joined #lobby");
    forger.send("-!- " + nick + " is now known as admin");
    forger.send("/nick real");
    std::vector<std::string> lines;
    for (std::string l; (l = reader.nextLine()) != "-!- " + nick + " is now known as real";) {
        ASSERT_FALSE(l.empty()) << "no nick change";
        lines.push_back(l);
    }
    std::erase_if(lines,
                  [&](const std::string& l) { return l == "-!- " + nick + " joined #lobby"; });
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "* " + nick + " is now known as admin",
                         "* " + nick + " left #lobby (server restart)",
                         "* " + nick + " joined #lobby",
                         "<" + nick + "> -!- " + nick + " is now known as admin",
                     }));
    // The server's own lines all carry the prefix: greeting, replies and room events alike.
    ASSERT_FALSE(forger.waitForLine("-!- " + nick + " is now known as real").empty());
    forger.send("/who");
    forger.send("/rooms");
    forger.send("/whois real");
    forger.send("/ping");
    forger.send("/topic t");
    forger.send("/join other");
    forger.send("/join lobby");
    forger.send("/away brb");
    forger.send("/quit");
    std::vector<std::string> replies;
    for (std::string l; (l = forger.nextLine()) != "-!- bye";) {
        ASSERT_FALSE(l.empty()) << "no bye";
        replies.push_back(l);
    }
    EXPECT_EQ(replies.size(), 8u);  // one per command before /quit
    for (const auto& l : replies) EXPECT_TRUE(l.starts_with("-!- ")) << l;
}

TEST(Chat, JsonModeLinesAreJsonObjects) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    std::string aNick = a.readGreeting();
    ChatClient b(daemon.port());  // after a joined, so a sees b's join
    std::string bNick = b.readGreeting();
    ASSERT_EQ(a.waitForLine("-!- " + bNick + " joined #lobby"), "-!- " + bNick + " joined #lobby");
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
    ASSERT_EQ(json::parse(a.nextLine(), nullptr, false).value("type", ""), "welcome");
    ChatClient b(daemon.port());
    b.readGreeting();
    daemon.signal(SIGTERM);
    auto closing = json::parse(a.waitFor(
        [](const std::string& l) { return l.find("shutting down") != std::string::npos; }));
    EXPECT_EQ(closing["type"], "closing");
    EXPECT_EQ(closing["reason"], "shutting down");
    EXPECT_EQ(b.waitForLine("! closing: shutting down"), "! closing: shutting down");
    EXPECT_EQ(daemon.waitExit(), 0);
}

TEST(Chat, QuitSaysByeAndLeaves) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port()), b(daemon.port());
    a.readGreeting();
    std::string bNick = b.readGreeting();
    a.nick("fisher");
    a.send("/quit gone fishing");
    EXPECT_EQ(a.waitForLine("-!- bye"), "-!- bye");
    EXPECT_TRUE(a.socket().waitClosed());
    EXPECT_EQ(b.waitForPrefix("-!- fisher left"), "-!- fisher left #lobby (quit: gone fishing)");
    // Gone means gone from the nick table too: the nick is free for the next one.
    ASSERT_TRUE(nickReleased(daemon, "fisher")) << daemon.stderrText();
    b.send("/nick fisher");
    EXPECT_EQ(b.nextLine(), "-!- " + bNick + " is now known as fisher");
}

TEST(Chat, JsonRoomEventsAndHistoryCarryTheProtocolFields) {
    DaemonProcess daemon(chatConfig("threads: 2\nchat: {history: 5}\n"));
    ChatClient c(daemon.port());
    c.readGreeting();
    c.nick("cat0");
    c.send("/join dev");
    c.send("/part lobby");
    ASSERT_EQ(c.waitForLine("-!- cat0 left #lobby (part)"), "-!- cat0 left #lobby (part)");
    c.send("old one");
    c.send("/me old two");
    ASSERT_EQ(c.waitForLine("* cat0 old two"), "* cat0 old two");

    ChatClient a(daemon.port());
    std::string aNick = a.readGreeting();
    a.send("/mode json");
    auto welcome =
        protocolLine(a.nextLine(), "welcome",
                     {"nick", "room", "rooms", "text", "protocol", "idle_timeout_ms", "max_rooms"});
    EXPECT_EQ(welcome["nick"], aNick);
    EXPECT_EQ(welcome["room"], "lobby");
    EXPECT_EQ(welcome["rooms"], json::array({"lobby"}));
    EXPECT_EQ(welcome["protocol"], 3);
    EXPECT_EQ(welcome["idle_timeout_ms"], 0);
    EXPECT_EQ(welcome["max_rooms"], 20);
    a.send("/join #dev");
    // The room's history comes first (straight to the joiner), then the own join (through the
    // hub, in the room's order).
    auto h1 = protocolLine(a.nextLine(), "history", {"room", "from", "text", "seq", "kind"});
    auto h2 = protocolLine(a.nextLine(), "history", {"room", "from", "text", "seq", "kind"});
    EXPECT_EQ(h1["room"], "dev");
    EXPECT_EQ(h1["from"], "cat0");
    EXPECT_EQ(h1["text"], "old one");
    EXPECT_EQ(h1["kind"], "message");
    EXPECT_EQ(h2["text"], "old two");
    EXPECT_EQ(h2["kind"], "action");
    EXPECT_EQ(h2["seq"].get<int>(), h1["seq"].get<int>() + 1);
    auto join = protocolLine(a.nextLine(), "join", {"room", "nick", "seq"});
    EXPECT_EQ(join["nick"], aNick);
    EXPECT_EQ(join["room"], "dev");
    EXPECT_GT(join["seq"].get<int>(), h2["seq"].get<int>());
    c.send("/nick cat");
    auto nick = protocolLine(a.nextLine(), "nick", {"from", "nick", "room", "seq"});
    EXPECT_EQ(nick["from"], "cat0");
    EXPECT_EQ(nick["nick"], "cat");
    EXPECT_EQ(nick["room"], "dev");
    EXPECT_EQ(nick["seq"].get<int>(), join["seq"].get<int>() + 1);
    c.send("/quit gone home");
    auto leave = protocolLine(a.nextLine(), "leave", {"room", "nick", "reason", "seq"});
    EXPECT_EQ(leave["nick"], "cat");
    EXPECT_EQ(leave["reason"], "quit: gone home");
    EXPECT_EQ(leave["seq"].get<int>(), nick["seq"].get<int>() + 1);
    a.send("/who");
    auto who = protocolLine(a.nextLine(), "who", {"room", "nicks", "total", "page", "more"});
    EXPECT_EQ(who["nicks"], json::array({aNick}));
    a.send("/rooms");
    auto rooms = protocolLine(a.nextLine(), "rooms", {"rooms", "total", "page", "more"});
    EXPECT_EQ(rooms["rooms"], json::parse(R"([{"name":"dev","members":1,"topic":""},)"
                                          R"({"name":"lobby","members":1,"topic":""}])"));
    a.send("/help");
    EXPECT_EQ(protocolLine(a.nextLine(), "notice", {"text"})["text"], "commands:");
    ASSERT_FALSE(a.waitFor([](const std::string& l) {
                      return l.find("//text") != std::string::npos;
                  }).empty());
    a.send("/mode text");
    EXPECT_EQ(a.nextLine(), "-!- text mode");
}

TEST(Chat, CrLfLinesAndALineSplitAcrossReads) {
    // A long partial-line timeout: the two halves below must make one line however slow the
    // machine is.
    DaemonProcess daemon(chatConfig("chat: {partial_line_timeout: 10s}\n"));
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.sendRaw("one\r\ntwo\r\n\r\n");
    EXPECT_EQ(a.nextLine(), "<" + nick + "> one");
    EXPECT_EQ(a.nextLine(), "<" + nick + "> two");
    a.sendRaw("thr");
    a.sendRaw("ee\r");
    a.sendRaw("\n");
    EXPECT_EQ(a.nextLine(), "<" + nick + "> three");  // and nothing for the empty line
}

TEST(Chat, APartialLineIsALineAfterTheTimeout) {
    DaemonProcess daemon(chatConfig("chat: {partial_line_timeout: 50ms}\n"));
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.sendRaw("no newline");
    EXPECT_EQ(a.nextLine(), "<" + nick + "> no newline");
    a.sendRaw("/nick typist");
    EXPECT_EQ(a.nextLine(), "-!- " + nick + " is now known as typist");
}

TEST(Chat, NickCaseChangesAreAllowedButNotNoOps) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    a.readGreeting();
    a.nick("dora");
    a.send("/nick dora");
    EXPECT_EQ(a.nextLine(), "! you are already dora");
    a.send("/nick Dora");
    EXPECT_EQ(a.nextLine(), "-!- dora is now known as Dora");
    ChatClient b(daemon.port());
    std::string bNick = b.readGreeting();
    b.send("/nick DORA");
    EXPECT_EQ(b.nextLine(), "! nick DORA is taken");
    a.send("/quit");
    EXPECT_TRUE(a.socket().waitClosed());
    // The nick is free again once its owner left.
    ASSERT_FALSE(
        b.waitFor([](const std::string& l) { return l.rfind("-!- Dora left", 0) == 0; }).empty());
    ASSERT_TRUE(nickReleased(daemon, "Dora")) << daemon.stderrText();
    b.send("/nick dora");
    EXPECT_EQ(b.nextLine(), "-!- " + bNick + " is now known as dora");
}

TEST(Chat, ConnectionsOverALimitGetAServerFullLine) {
    DaemonProcess daemon(chatConfig("limits: {max_connections_per_ip: 1}\n"));
    ChatClient first(daemon.port());
    std::string nick = first.readGreeting();
    ChatClient second(daemon.port());
    EXPECT_EQ(second.nextLine(), "! closing: server full (max_connections_per_ip reached)");
    EXPECT_TRUE(second.socket().waitClosed());
    first.send("still here");
    EXPECT_EQ(first.nextLine(), "<" + nick + "> still here");
}

// Out of fds, a newcomer is not left hanging in the accept backlog: the worker's reserve fd lets
// it accept, say why and close. The clients already connected are unaffected.
TEST(Chat, OutOfFileDescriptorsANewcomerIsToldTheServerIsFull) {
    TempFile cfg(
        chatConfig("threads: 1\nlimits: {max_connections: 1000, "
                   "max_connections_per_ip: 1000}\n"));
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.maxFds = 40;
    DaemonProcess daemon(opts);
    ChatClient first(daemon.port());
    std::string nick = first.readGreeting();
    std::vector<std::unique_ptr<TestClient>> held;
    auto outOfFds = [](const json& e) {
        return e.value("event", "") == "limit" &&
               e.value("msg", "").find("file descriptors") != std::string::npos;
    };
    for (int i = 0; i < 60; ++i) held.push_back(std::make_unique<TestClient>(daemon.port()));
    ASSERT_EQ(daemon.waitForCount(outOfFds, 1), 1u) << "never ran out of fds";
    ChatClient newcomer(daemon.port());
    EXPECT_EQ(newcomer.nextLine(), "! closing: server full (out of file descriptors)");
    EXPECT_TRUE(newcomer.socket().waitClosed());
    first.send("still here");
    EXPECT_EQ(first.waitForLine("<" + nick + "> still here"), "<" + nick + "> still here");
}

// In a room bigger than chat.presence_limit, joins and leaves are shown only to the one who
// joins or leaves: n joins in a room of n would cost n² lines. /who still lists everyone.
TEST(Chat, JoinsAndLeavesInARoomOverThePresenceLimitAreShownOnlyToTheirSubject) {
    DaemonProcess daemon(chatConfig("chat: {presence_limit: 2}\n"));
    ChatClient a(daemon.port()), b(daemon.port());
    a.readGreeting();
    b.readGreeting();
    a.nick("ann");
    b.nick("bob");
    auto joinedOrLeft = [](const std::string& l) {
        return l.find(" joined #") != std::string::npos || l.find(" left #") != std::string::npos;
    };
    ChatClient c(daemon.port());
    c.readGreeting();  // its own join: it is the subject
    c.nick("cy");
    ChatClient d(daemon.port());
    d.readGreeting();
    d.nick("dee");
    d.send("/quit");  // the room goes from 4 to 3: still over the limit
    EXPECT_TRUE(d.socket().waitClosed());
    c.send("/who");
    EXPECT_NE(
        c.waitFor([](const std::string& l) { return l.find("ann, bob, cy") != std::string::npos; }),
        "");
    b.send("marker");
    std::string line;
    while ((line = a.nextLine()) != "<bob> marker") {
        ASSERT_NE(line, "") << "no marker";
        EXPECT_FALSE(joinedOrLeft(line)) << "shown to another member: " << line;
    }
    c.send("/quit");  // from 3 to 2: within the limit, shown again
    EXPECT_NE(a.waitFor([](const std::string& l) {
        return l.find("cy left #lobby") != std::string::npos;
    }),
              "");
}

// History is bounded daemon-wide (chat.history_bytes), counted as stored: a line of 4,000 0xff
// bytes is kept as 12,000 bytes of U+FFFD. Over the budget the oldest lines of the whole daemon
// go first, whichever room they are in.
TEST(Chat, HistoryIsBoundedDaemonWideAndTheOldestLinesGoFirst) {
    DaemonProcess daemon(chatConfig("chat: {history: 20, history_bytes: 64KiB}\n"
                                    "limits: {messages_per_second: 1000, burst: 1000}\n"));
    const std::string garbage(4000, '\xff');
    std::vector<std::unique_ptr<ChatClient>> writers;
    for (int r = 1; r <= 4; ++r) {
        auto w = std::make_unique<ChatClient>(daemon.port());
        w->readGreeting();
        std::string room = "#r" + std::to_string(r);
        w->send("/join " + room);
        ASSERT_NE(w->waitFor([&](const std::string& l) { return l.ends_with(" joined " + room); }),
                  "");
        for (int i = 0; i < 20; ++i) w->send(garbage);
        for (int i = 0; i < 20; ++i)  // its own 20 lines are back: all are in the history
            ASSERT_NE(w->waitFor([](const std::string& l) {
                return l.rfind("<", 0) == 0 && l.size() > 12000;
            }),
                      "")
                << (w->skipped().empty() ? "" : w->skipped().back().substr(0, 100));
        writers.push_back(std::move(w));
    }
    auto historyOf = [&](const std::string& room) {
        ChatClient reader(daemon.port());
        reader.readGreeting();
        reader.send("/join " + room);
        std::size_t lines = 0, bytes = 0;
        for (std::string l = reader.nextLine(); !l.ends_with(" joined " + room);
             l = reader.nextLine()) {
            if (l.empty()) break;
            if (l.rfind("[history]", 0) == 0) {
                ++lines;
                bytes += l.size();
            }
        }
        return std::pair{lines, bytes};
    };
    auto [oldLines, oldBytes] = historyOf("#r1");
    auto [newLines, newBytes] = historyOf("#r4");
    std::cout << "history kept: #r1 " << oldLines << " lines, #r4 " << newLines << " lines ("
              << newBytes << " bytes) of 80 sent\n";
    EXPECT_EQ(oldLines, 0u) << "the oldest room's lines were not the first to go";
    EXPECT_GE(newLines, 1u) << "the newest lines were dropped";
    EXPECT_LE(newBytes, 64u * 1024) << "more history kept than the budget";
}

TEST(Chat, EmptiedRoomsGoAwayExceptTheDefaultRoom) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    a.readGreeting();
    a.nick("solo");
    a.send("/join tmp");
    ASSERT_EQ(a.waitForLine("-!- solo joined #tmp"), "-!- solo joined #tmp");
    a.send("said in the first tmp");
    a.send("/part");  // the current room
    ASSERT_EQ(a.waitForLine("-!- solo left #tmp (part)"), "-!- solo left #tmp (part)");
    a.send("/rooms");
    EXPECT_EQ(a.waitForPrefix("-!- rooms:"), "-!- rooms: #lobby (1)");
    // A new #tmp is a new room: no history from the old one.
    a.send("/join tmp");
    EXPECT_EQ(a.nextLine(), "-!- solo joined #tmp");
}

// PROTOCOL.md: a room that emptied (and was removed) starts again at seq 1 when created anew.
TEST(Chat, AnEmptiedRoomStartsAgainAtSeqOne) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port());
    a.send("/hello json");
    ASSERT_EQ(json::parse(a.nextLine())["room"], "lobby");
    auto seqOf = [&](const std::string& command, const std::string& type) {
        a.send(command);
        std::string line = a.waitFor(
            [&](const std::string& l) { return l.rfind(R"({"type":")" + type + "\"", 0) == 0; });
        auto event = json::parse(line, nullptr, false);
        return event.is_discarded() ? -1 : event.value("seq", -1);
    };
    EXPECT_EQ(seqOf("/join tmp", "join"), 1);
    EXPECT_EQ(seqOf("said in the first tmp", "message"), 2);
    EXPECT_EQ(seqOf("/part tmp", "leave"), 3);    // emptied: removed
    EXPECT_EQ(seqOf("/part lobby", "leave"), 2);  // after the greeting's join
    EXPECT_EQ(seqOf("/join lobby", "join"), 3) << "the default room is never removed";
    EXPECT_EQ(seqOf("/join tmp", "join"), 1) << "a room created anew";
}

TEST(Chat, MessageTextIsLoggedOnlyAtDebug) {
    TempFile config(
        "listen:\n  - {service: chat, address: \"127.0.0.1:0\"}\n"
        "logging: {level: info, format: json, sink: console}\n");
    DaemonProcess::Options options;
    options.args = {"-c", config.path()};
    DaemonProcess daemon(options);
    ChatClient a(daemon.port()), b(daemon.port());
    std::string aNick = a.readGreeting();
    b.readGreeting();
    a.nick("loud");
    a.send("top secret words");
    ASSERT_EQ(a.waitForLine("<loud> top secret words"), "<loud> top secret words");
    ASSERT_EQ(b.waitForLine("<loud> top secret words"), "<loud> top secret words");
    a.send("/msg nobody x");
    a.send("/join den");
    ASSERT_EQ(a.waitForLine("-!- loud joined #den"), "-!- loud joined #den");
    a.send("/quit done");
    EXPECT_TRUE(a.socket().waitClosed());
    auto has = [&](const char* event, std::map<std::string, std::string> fields) {
        return daemon
            .waitForEvent([&](const json& e) {
                if (e.value("event", "") != event) return false;
                for (const auto& [k, v] : fields)
                    if (e.value(k, "") != v) return false;
                return e.contains("conn");
            })
            .has_value();
    };
    EXPECT_TRUE(has("join", {{"nick", aNick}, {"room", "lobby"}}));
    EXPECT_TRUE(has("nick", {{"from", aNick}, {"nick", "loud"}, {"room", "lobby"}}));
    EXPECT_TRUE(has("join", {{"nick", "loud"}, {"room", "den"}}));
    EXPECT_TRUE(has("leave", {{"nick", "loud"}, {"room", "lobby"}, {"reason", "quit: done"}}));
    EXPECT_TRUE(has("leave", {{"nick", "loud"}, {"room", "den"}, {"reason", "quit: done"}}));
    // connect carries the assigned nick (its rooms are not known before its /hello or greeting);
    // disconnect the nick and current room at the end.
    EXPECT_TRUE(has("connect", {{"nick", aNick}}));
    EXPECT_TRUE(has("disconnect", {{"nick", "loud"}, {"room", "den"}, {"reason", "quit: done"}}));
    EXPECT_EQ(daemon.stderrText().find("top secret"), std::string::npos);
}

TEST(Chat, MessageTextIsLoggedAtDebug) {
    DaemonProcess daemon(chatConfig());  // test configs log at debug
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.send("words for the debug log");
    ASSERT_EQ(a.waitForLine("<" + nick + "> words for the debug log"),
              "<" + nick + "> words for the debug log");
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "message" && e.value("nick", "") == nick &&
               e.value("text", "") == "words for the debug log";
    })) << daemon.stderrText();
}
