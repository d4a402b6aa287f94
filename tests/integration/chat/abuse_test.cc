// Cheap requests with expensive answers, and clients that hold a connection without talking
// (PROTOCOL.md "Listing commands", "Lines"; sockchatd.yaml(5) limits.idle_timeout): found by an
// adversarial run, checked here through the real daemon.
#include <gtest/gtest.h>

#include <algorithm>
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

bool isRoomsLine(const std::string& l) {
    return l.find("rooms: #") != std::string::npos;
}

// One /rooms answer in JSON mode, waiting out the listing budget if it says slow down.
json roomsPage(ChatClient& c, const std::string& command) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        c.send(command);
        auto j = json::parse(c.nextLine(), nullptr, false);
        if (j.is_discarded()) break;
        if (j.value("type", "") == "rooms") return j;
        if (j.value("type", "") != "error" || j.value("text", "").rfind("slow down", 0) != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // one listing token
    }
    ADD_FAILURE() << "no rooms answer to " << command;
    return json::object();
}

}  // namespace

// With 501 rooms, a 7-byte "/rooms" used to get every room back (over 7 kB here, 117 kB with
// 3000 rooms). Now it gets one bounded page, biggest rooms first, and says how many are left
// and how to get them; the pages together hold every room once.
TEST(ChatAbuse, RoomsAnswersAPageBiggestFirstAndSaysWhatIsLeft) {
    DaemonProcess daemon(chatConfig(
        "limits: {max_rooms_per_client: 500, messages_per_second: 10000, burst: 100000}\n"));
    ChatClient builder(daemon.port()), a(daemon.port()), b(daemon.port());
    builder.readGreeting();
    a.readGreeting();
    b.readGreeting();
    std::string joins;
    for (int i = 0; i < 499; ++i) {  // with the lobby, the builder is in 500 rooms
        char name[16];
        std::snprintf(name, sizeof name, "room-%03d", i);
        joins += "/join " + std::string(name) + "\n";
    }
    builder.sendRaw(joins);
    ASSERT_FALSE(builder
                     .waitFor([](const std::string& l) { return l.ends_with(" joined #room-498"); },
                              std::chrono::seconds(30))
                     .empty());
    a.send("/join big");
    b.send("/join big");
    ASSERT_FALSE(
        b.waitFor([](const std::string& l) { return l.ends_with(" joined #big"); }).empty());
    // A long topic does not make the page long again: listed, it is cut.
    b.send("/topic " + std::string(1000, 't'));
    ASSERT_FALSE(b.waitFor([](const std::string& l) {
                      return l.find("the topic of #big") != l.npos;
                  }).empty());

    a.send("/rooms");
    std::string line = a.waitFor(isRoomsLine);
    ASSERT_FALSE(line.empty());
    std::cout << "/rooms with 501 rooms: " << line.size() + 1 << " bytes\n";
    EXPECT_LT(line.size(), 1500u) << "a page is 50 rooms, not all 501";
    EXPECT_NE(line.find("rooms: #lobby (3), #big (2, \"" + std::string(100, 't') +
                        "...\"), #room-000 (1), "),
              std::string::npos)
        << line;
    EXPECT_TRUE(line.ends_with("#room-047 (1); 451 more (/rooms 2)")) << line;

    a.send("/rooms oom-04");  // a plain word: the rooms whose names contain it
    EXPECT_TRUE(a.waitFor(isRoomsLine).ends_with("#room-048 (1), #room-049 (1)"));
    a.send("/rooms r?om-4*");
    std::string matched = a.waitFor(isRoomsLine);
    EXPECT_NE(matched.find("#room-400 (1), "), std::string::npos) << matched;
    EXPECT_TRUE(matched.ends_with("; 49 more (/rooms r?om-4* 2)")) << matched;

    ChatClient pager(daemon.port());
    pager.readGreeting();
    pager.send("/mode json");
    ASSERT_EQ(json::parse(pager.nextLine()).value("type", ""), "welcome");
    std::set<std::string> seen;
    for (unsigned page = 1;; ++page) {
        json j = roomsPage(pager, "/rooms " + std::to_string(page));
        ASSERT_EQ(j.value("total", 0u), 501u) << j;
        ASSERT_EQ(j.value("page", 0u), page) << j;
        ASSERT_LE(j["rooms"].size(), 50u) << j;
        for (const auto& r : j["rooms"]) seen.insert(r.value("name", ""));
        ASSERT_EQ(j.value("more", 0u), 501u - std::min(501u, page * 50)) << j;
        if (j.value("more", 0u) == 0) break;
    }
    EXPECT_EQ(seen.size(), 501u) << "the pages hold every room once";
    EXPECT_TRUE(seen.count("lobby") && seen.count("big") && seen.count("room-498"));
    a.send("/rooms 12");
    EXPECT_FALSE(a.waitForLine("! no page 12: 501 rooms, 50 a page").empty());
}

// /who of a big room is a page of 200 nicks too, saying how many more there are.
TEST(ChatAbuse, WhoAnswersAPageOfTwoHundred) {
    DaemonProcess daemon(chatConfig("limits: {max_connections_per_ip: 1000}\n"));
    std::vector<std::unique_ptr<ChatClient>> members;
    for (int i = 0; i < 205; ++i) {
        members.push_back(std::make_unique<ChatClient>(daemon.port()));
        members.back()->send("/hello");
    }
    for (auto& m : members)  // every one in (they may be on other workers)
        ASSERT_FALSE(
            m->waitFor([](const std::string& l) { return l.ends_with("#lobby"); }).empty());
    ChatClient& last = *members.back();
    last.send("/who");
    std::string page1 =
        last.waitFor([](const std::string& l) { return l.find("#lobby: ") != l.npos; });
    EXPECT_TRUE(page1.ends_with("; 5 more (/who #lobby 2)")) << page1;
    EXPECT_LT(page1.size(), 200u * 12);
    last.send("/names #lobby 2");
    std::string page2 =
        last.waitFor([](const std::string& l) { return l.find("#lobby: ") != l.npos; });
    EXPECT_EQ(std::count(page2.begin(), page2.end(), ','), 4) << page2;
    last.send("/who lobby 3");
    EXPECT_FALSE(last.waitForLine("! no page 3: 205 members, 200 a page").empty());
}

// Listing commands have a budget of their own: a pipelined burst of them is cut short.
TEST(ChatAbuse, ListingCommandsHaveABudgetOfTheirOwn) {
    DaemonProcess daemon(chatConfig("limits: {messages_per_second: 10000, burst: 100000}\n"));
    ChatClient c(daemon.port());
    c.readGreeting();
    std::string burst;
    for (int i = 0; i < 15; ++i) burst += i % 2 ? "/who\n" : "/rooms\n";
    c.sendRaw(burst + "/ping done\n");
    ASSERT_FALSE(c.waitFor([](const std::string& l) { return l.ends_with("pong done"); }).empty());
    int slowed = 0, answered = 0;
    for (const auto& l : c.skipped()) {
        slowed += l.rfind("! slow down: /", 0) == 0;
        answered += isRoomsLine(l) || l.find("#lobby: ") != std::string::npos;
    }
    EXPECT_EQ(answered, 10);
    EXPECT_EQ(slowed, 5);
}

namespace {

// Sends unless the daemon has closed the connection (a send then may fail with EPIPE).
bool trySend(ChatClient& c, std::string_view bytes) {
    try {
        c.sendRaw(bytes);
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

bool isMessageFrom(const std::string& line, const std::string& nick) {
    return line.rfind("<" + nick + "> ", 0) == 0;
}

}  // namespace

// A client that never sends a newline and pauses after every byte used to make each byte a
// message to the whole room (partial_line_timeout), and nothing ever cut it short. Now only its
// first few partial lines are lines (the tutorial's client needs the first one); then it is told
// to end its lines, its bytes wait for a newline, and it is closed as a dribbler.
TEST(ChatAbuse, ADribblerGetsAFewPartialLinesThenIsToldAndClosed) {
    DaemonProcess daemon(
        chatConfig("chat: {partial_line_timeout: 20ms}\n"
                   "limits: {messages_per_second: 10000, burst: 100000}\n"));
    ChatClient watcher(daemon.port()), dribbler(daemon.port());
    watcher.readGreeting();
    std::string nick = dribbler.readGreeting();
    std::vector<std::string> told;
    int sent = 0;
    for (; sent < 100 && !dribbler.closed() && trySend(dribbler, "x"); ++sent)
        // One byte every 50 ms (the pause is the wait for what the dribbler is told meanwhile).
        for (std::string l; !(l = dribbler.nextLine(std::chrono::milliseconds(50))).empty();)
            told.push_back(l);
    for (std::string l; !(l = dribbler.nextLine()).empty();) told.push_back(l);
    EXPECT_TRUE(dribbler.closed());
    EXPECT_LT(sent, 60) << "3 partial lines, then 30 stalls";
    int ownEcho = 0, warned = 0;
    for (const auto& l : told) {
        ownEcho += isMessageFrom(l, nick);
        warned += l.rfind("! end your lines with a newline", 0) == 0;
    }
    EXPECT_EQ(ownEcho, 3);
    EXPECT_EQ(warned, 1);
    ASSERT_FALSE(told.empty());
    EXPECT_EQ(told.back(), "! closing: dribbling");

    watcher.send("/ping end");
    ASSERT_FALSE(
        watcher.waitFor([](const std::string& l) { return l.ends_with("pong end"); }).empty());
    int delivered = 0;
    for (const auto& l : watcher.skipped()) delivered += isMessageFrom(l, nick);
    std::cout << "a dribbler's " << sent << " bytes: " << delivered << " room messages\n";
    EXPECT_EQ(delivered, 3);
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("reason", "") == "dribbling" &&
               e.value("nick", "") == nick;
    }));
}

// idle_timeout means no complete line from the client and none of its output read: a silent
// reader of a busy room is not idle; a client that dribbles bytes without a newline into a quiet
// room is, however many bytes it sends.
TEST(ChatAbuse, AReaderIsNotIdleButADribblerIs) {
    DaemonProcess daemon(
        chatConfig("limits: {idle_timeout: 500ms, messages_per_second: 10000, burst: 100000}\n"));
    ChatClient talker(daemon.port()), reader(daemon.port());
    talker.readGreeting();
    reader.readGreeting();
    ChatClient dribbler(daemon.port());  // now: the greetings took 500 ms, an idle timeout
    dribbler.send("/hello room=quiet");
    ASSERT_FALSE(
        dribbler.waitFor([](const std::string& l) { return l.ends_with(" joined #quiet"); })
            .empty());
    auto idleDisconnect = [](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("reason", "") == "idle timeout";
    };
    // Five idle timeouts of the talker talking and the dribbler sending a byte every 50 ms; the
    // reader reads nothing itself until the end (its kernel acknowledges, as a reader's does).
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
    int said = 0;
    bool toldWhileDribbling = false;
    for (; std::chrono::steady_clock::now() < until; ++said) {
        std::string tick = "tick " + std::to_string(said);
        talker.send(tick);
        ASSERT_FALSE(
            talker.waitFor([&](const std::string& l) { return l.ends_with("> " + tick); }).empty());
        // A line every 50 ms, not a flood the reader could not keep up with (a reader whose
        // window fills acknowledges nothing: idle, rightly).
        auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        if (!dribbler.closed()) trySend(dribbler, "x");
        std::string l = dribbler.nextLine(std::chrono::milliseconds(50));
        EXPECT_TRUE(l.empty() || l == "! closing: idle timeout") << l;
        toldWhileDribbling = toldWhileDribbling || !l.empty();
        std::this_thread::sleep_until(next);
    }
    EXPECT_TRUE(toldWhileDribbling) << "its bytes must not keep the dribbler from being idle";
    std::string rest;
    EXPECT_TRUE(dribbler.socket().waitClosed(std::chrono::seconds(5), &rest));
    auto dropped = daemon.waitForEvent(idleDisconnect);
    ASSERT_TRUE(dropped) << "the dribbler is idle";
    EXPECT_GT((*dropped)["bytes_in"].get<long>(), 18) << "the dribbler: " << *dropped;

    std::string last = "> tick " + std::to_string(said - 1);
    EXPECT_FALSE(reader.waitFor([&](const std::string& l) { return l.ends_with(last); }).empty());
    EXPECT_FALSE(reader.closed());
    for (const auto& l : reader.skipped()) EXPECT_EQ(l.find("closing"), std::string::npos) << l;
    EXPECT_EQ(daemon.countEvents(idleDisconnect), 1u) << "only the dribbler is idle";
    // Still there: the reader can talk.
    reader.send("still here");
    EXPECT_FALSE(
        reader.waitFor([](const std::string& l) { return l.ends_with("> still here"); }).empty());
}
