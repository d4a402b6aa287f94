// Cheap requests with expensive answers, and clients that hold a connection without talking
// (PROTOCOL.md "Listing commands", "Lines"; sockchatd.yaml(5) limits.idle_timeout): found by an
// adversarial run, checked here through the real daemon.
#include <gtest/gtest.h>

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

    a.send("/rooms");
    std::string line = a.waitFor(isRoomsLine);
    ASSERT_FALSE(line.empty());
    std::cout << "/rooms with 501 rooms: " << line.size() + 1 << " bytes\n";
    EXPECT_LT(line.size(), 1500u) << "a page is 50 rooms, not all 501";
    EXPECT_NE(line.find("rooms: #lobby (3), #big (2), #room-000 (1), "), std::string::npos) << line;
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
