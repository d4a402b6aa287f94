// The chat session protocol through the real daemon (PROTOCOL.md "Order", "Handshake",
// "Rooms", "Closing"): a connection's lines take effect in order, /hello, several rooms at once,
// the reason line before every close the server starts, and lines that are not chat.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat_client.h"
#include "daemon_process.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

std::string chatConfig(const std::string& extra = "") {
    return testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n", extra);
}

std::vector<std::string> nextLines(ChatClient& c, std::size_t n) {
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < n; ++i) lines.push_back(c.nextLine());
    return lines;
}

json nextJson(ChatClient& c) {
    std::string line = c.nextLine();
    auto j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    return j.is_discarded() ? json::object() : j;
}

// Lines the client gets within a short while: for "nothing more arrives" checks, with a marker
// line sent through the same path that must arrive last.
std::vector<std::string> linesUntil(ChatClient& c, const std::string& marker) {
    std::vector<std::string> seen;
    for (std::string l; (l = c.nextLine()) != marker && !l.empty();) seen.push_back(l);
    return seen;
}

}  // namespace

TEST(ChatSession, APastedBurstBehavesLikeTheSameLinesTypedOneByOne) {
    DaemonProcess daemon(chatConfig("threads: 4\nchat: {history: 0}\n"));
    std::vector<std::unique_ptr<ChatClient>> others;
    for (int i = 0; i < 6; ++i) {  // members on every worker
        others.push_back(std::make_unique<ChatClient>(daemon.port()));
        others.back()->readGreeting();
    }
    ChatClient c(daemon.port());
    std::string guest = c.readGreeting();
    c.sendRaw(
        "/nick racer\nmsg one\n/me acts\n/join elsewhere\nin elsewhere\n"
        "/msg #lobby back in lobby\n/part elsewhere\nhi\n/mode json\nmsg json\n/ping tok\n"
        "/who\n/mode text\n/help\n");
    EXPECT_EQ(nextLines(c, 8), (std::vector<std::string>{
                                   "-!- " + guest + " is now known as racer",
                                   "<racer> msg one",
                                   "* racer acts",
                                   "-!- racer joined #elsewhere",
                                   "<racer> in elsewhere",
                                   "<racer> back in lobby",
                                   "-!- racer left #elsewhere (part)",
                                   "<racer> hi",
                               }));
    auto welcome = nextJson(c);
    EXPECT_EQ(welcome["type"], "welcome");
    EXPECT_EQ(welcome["nick"], "racer");
    EXPECT_EQ(welcome["room"], "lobby");
    auto message = nextJson(c);
    EXPECT_EQ(message["type"], "message");
    EXPECT_EQ(message["text"], "msg json");
    EXPECT_EQ(message["room"], "lobby");
    auto pong = nextJson(c);
    EXPECT_EQ(pong["type"], "pong");
    EXPECT_EQ(pong["text"], "tok");
    auto who = nextJson(c);
    EXPECT_EQ(who["type"], "who");
    EXPECT_EQ(who["nicks"].size(), 7u);
    EXPECT_EQ(c.nextLine(), "-!- text mode");
    EXPECT_EQ(c.nextLine(), "-!- commands:");
    // The others saw the lobby's part of it, in the same order.
    for (auto& o : others) {
        auto seen = linesUntil(*o, "<racer> hi");
        std::erase_if(seen, [](const std::string& l) { return l.ends_with(" joined #lobby"); });
        EXPECT_EQ(seen, (std::vector<std::string>{"-!- " + guest + " is now known as racer",
                                                  "<racer> msg one", "* racer acts",
                                                  "<racer> back in lobby"}));
    }
}

TEST(ChatSession, APastedBurstInJsonModeKeepsItsOrderToo) {
    DaemonProcess daemon(chatConfig("threads: 4\n"));
    ChatClient other(daemon.port());
    other.readGreeting();
    ChatClient c(daemon.port());
    c.sendRaw("/hello json nick=jay\n/join b\none\n/nick jay2\n/part b\ntwo\n/whois jay2\n");
    std::vector<std::string> types;
    std::vector<std::string> rooms;
    for (int i = 0; i < 12; ++i) {
        auto j = nextJson(c);
        if (j.value("type", "") == "notice") continue;  // the MOTD
        types.push_back(j.value("type", ""));
        rooms.push_back(j.value("room", ""));
        if (types.back() == "whois") break;
    }
    // welcome, the lobby join, the b join, one in b, jay2 in each room (lobby, b: by name),
    // the part of b, two in the lobby, whois.
    EXPECT_EQ(types, (std::vector<std::string>{"welcome", "join", "join", "message", "nick", "nick",
                                               "leave", "message", "whois"}));
    EXPECT_EQ(rooms, (std::vector<std::string>{"lobby", "lobby", "b", "b", "b", "lobby", "b",
                                               "lobby", ""}));
}

TEST(ChatSession, HelloStatesModeNickAndRoomsBeforeTheWelcome) {
    DaemonProcess daemon(chatConfig("chat: {history: 5, motd: \"be nice\"}\n"));
    ChatClient old(daemon.port());
    std::string oldNick = old.readGreeting();
    old.send("/join dev");
    old.send("before you came");
    ASSERT_FALSE(old.waitForLine("<" + oldNick + "> before you came").empty());
    old.send("/join lobby");  // current room again
    EXPECT_EQ(old.nextLine(), "-!- now talking in #lobby");

    ChatClient c(daemon.port());
    c.send("/hello json nick=ann room=#dev,ops");
    auto welcome = nextJson(c);
    EXPECT_EQ(welcome["type"], "welcome");
    EXPECT_EQ(welcome["nick"], "ann");
    EXPECT_EQ(welcome["room"], "dev");
    EXPECT_EQ(welcome["rooms"], json::array({"dev", "ops"}));
    EXPECT_EQ(welcome["protocol"], 3);
    EXPECT_EQ(nextJson(c)["text"], "be nice");
    auto history = nextJson(c);  // #dev's history, straight to the joiner
    EXPECT_EQ(history["type"], "history");
    EXPECT_EQ(history["text"], "before you came");
    auto joinDev = nextJson(c);
    EXPECT_EQ(joinDev["type"], "join");
    EXPECT_EQ(joinDev["room"], "dev");
    auto joinOps = nextJson(c);
    EXPECT_EQ(joinOps["room"], "ops");
    EXPECT_EQ(joinOps["nick"], "ann");
    c.send("hi dev");  // the current room is the first named
    EXPECT_EQ(nextJson(c)["room"], "dev");
    // The others saw one join, of ann, in #dev only: no guest, no nick change, no lobby noise.
    old.send("/msg #dev marker");
    EXPECT_EQ(linesUntil(old, "<" + oldNick + "> marker"),
              (std::vector<std::string>{"-!- ann joined #dev", "<ann> hi dev"}));
}

TEST(ChatSession, ARefusedHelloIsAnErrorAndJoinsNothing) {
    DaemonProcess daemon(chatConfig());
    ChatClient ann(daemon.port());
    ann.send("/hello nick=ann");
    EXPECT_EQ(ann.nextLine().rfind("-!- Welcome to sockchatd! You are ann in #lobby.", 0), 0u);
    ASSERT_FALSE(ann.waitForLine("-!- ann joined #lobby").empty());

    ChatClient c(daemon.port());
    c.send("/hello nick=ANN room=dev");
    EXPECT_EQ(c.nextLine(), "! hello: nick ANN is taken");
    c.send("/hello nick=bo room=ops%room");
    EXPECT_EQ(c.nextLine().rfind("! room must be", 0), 0u);
    c.send("/hello nick=bo room=dev");
    EXPECT_EQ(c.nextLine().rfind("-!- Welcome to sockchatd! You are bo in #dev.", 0), 0u);
    EXPECT_EQ(c.waitForPrefix("-!- bo joined"), "-!- bo joined #dev");
    c.send("/hello");
    EXPECT_EQ(c.nextLine(), "! hello: only as the first line of a connection");
    // Nothing of the refused tries reached the lobby.
    ann.send("marker");
    EXPECT_TRUE(linesUntil(ann, "<ann> marker").empty());
}

TEST(ChatSession, AClientThatSaysNothingIsGreetedAsBefore) {
    DaemonProcess daemon(chatConfig("chat: {partial_line_timeout: 10s}\n"));
    ChatClient c(daemon.port());
    std::string welcome = c.nextLine();  // within the greeting wait, not the 10 s
    EXPECT_EQ(welcome.rfind("-!- Welcome to sockchatd! You are guest-", 0), 0u) << welcome;
}

TEST(ChatSession, SeveralRoomsAtOnce) {
    DaemonProcess daemon(chatConfig("threads: 2\nlimits: {max_rooms_per_client: 3}\n"));
    ChatClient a(daemon.port()), b(daemon.port());
    a.send("/hello nick=a");
    b.send("/hello nick=b room=dev");
    ASSERT_FALSE(a.waitForLine("-!- a joined #lobby").empty());
    ASSERT_FALSE(b.waitForLine("-!- b joined #dev").empty());
    a.send("/j dev");
    EXPECT_EQ(a.waitForLine("-!- a joined #dev"), "-!- a joined #dev");
    a.send("in dev");                // the current room
    a.send("/msg #lobby in lobby");  // another room, without switching
    a.send("/msg #nowhere x");
    EXPECT_EQ(a.nextLine(), "<a> in dev");
    EXPECT_EQ(a.nextLine(), "<a> in lobby");
    EXPECT_EQ(a.nextLine(), "! you are not in #nowhere (try /join)");
    EXPECT_EQ(b.waitForPrefix("<a>"), "<a> in dev");  // b is not in #lobby
    a.send("/join third");
    a.send("/join fourth");
    EXPECT_EQ(a.waitForPrefix("-!- a joined #third"), "-!- a joined #third");
    EXPECT_EQ(a.nextLine(), "! you are in 3 rooms, the most allowed (/part one first)");
    a.send("/part dev see you");
    EXPECT_EQ(a.nextLine(), "-!- a left #dev (part: see you)");
    EXPECT_EQ(b.waitForPrefix("-!- a left"), "-!- a left #dev (part: see you)");
    a.send("/part dev");
    EXPECT_EQ(a.nextLine(), "! you are not in #dev");
    a.send("/part");  // the current room (#third) ...
    EXPECT_EQ(a.nextLine(), "-!- a left #third (part)");
    a.send("still talking");  // ... and text goes to the one joined before it
    EXPECT_EQ(a.nextLine(), "<a> still talking");
    a.send("/who");
    EXPECT_EQ(a.nextLine(), "-!- #lobby: a");
    a.send("/part");
    EXPECT_EQ(a.nextLine(), "-!- a left #lobby (part)");
    a.send("into the void");
    EXPECT_EQ(a.nextLine(), "! you are in no room (try /join ROOM)");
    a.send("/whois b");
    EXPECT_EQ(a.nextLine(), "-!- b: in #dev");
}

TEST(ChatSession, TopicsAwayWhoisAndAliases) {
    DaemonProcess daemon(chatConfig());
    ChatClient a(daemon.port()), b(daemon.port());
    a.send("/hello nick=a room=dev");
    b.send("/hello nick=b");
    ASSERT_FALSE(a.waitForLine("-!- a joined #dev").empty());
    ASSERT_FALSE(b.waitForLine("-!- b joined #lobby").empty());
    a.send("/topic release on friday");
    EXPECT_EQ(a.nextLine(), "-!- a set the topic of #dev: release on friday");
    a.send("/topic");
    EXPECT_EQ(a.nextLine(), "-!- topic of #dev: release on friday");
    b.send("/list");
    EXPECT_EQ(b.nextLine(), "-!- rooms: #dev (1, \"release on friday\"), #lobby (1)");
    b.send("/j dev");  // shown on join
    EXPECT_EQ(b.nextLine(), "-!- topic of #dev: release on friday");
    EXPECT_EQ(b.nextLine(), "-!- b joined #dev");
    b.send("/names");
    EXPECT_EQ(b.nextLine(), "-!- #dev: a, b");
    a.send("/away lunch");
    EXPECT_EQ(a.waitForPrefix("-!- you are"), "-!- you are away: lunch");
    b.send("/query a are you there?");
    EXPECT_EQ(b.nextLine(), "[msg to a] are you there?");
    EXPECT_EQ(b.nextLine(), "-!- a is away: lunch");
    EXPECT_EQ(a.waitForPrefix("[msg from b]"), "[msg from b] are you there?");
    b.send("/whois A");
    EXPECT_EQ(b.nextLine(), "-!- a: in #dev; away: lunch");
    a.send("/away");
    EXPECT_EQ(a.nextLine(), "-!- you are back");
    a.send("/msg a note to self");  // once, as the sender's copy
    a.send("/ping");
    EXPECT_EQ(a.nextLine(), "[msg to a] note to self");
    EXPECT_EQ(a.nextLine(), "-!- pong");
    a.send("/topic -delete");
    EXPECT_EQ(a.nextLine(), "-!- a cleared the topic of #dev");
}

// PROTOCOL.md: a private message to oneself (any case of the nick) arrives once, as the sender's
// copy: "[msg to NICK]" in text mode, one `private` object with from == to in JSON mode. A
// second copy would be delivered like any recipient's, before the room echo of the next line.
TEST(ChatSession, ANoteToOneselfArrivesOnce) {
    DaemonProcess daemon(chatConfig("threads: 2\n"));
    ChatClient text(daemon.port()), js(daemon.port());
    text.send("/hello nick=tex");
    ASSERT_FALSE(text.waitForLine("-!- tex joined #lobby").empty());
    text.send("/msg tex one");
    text.send("/msg TEX two");
    text.send("after");
    EXPECT_EQ(linesUntil(text, "<tex> after"),
              (std::vector<std::string>{"[msg to tex] one", "[msg to tex] two"}));

    js.send("/hello json nick=jay");
    ASSERT_FALSE(js.waitForPrefix(R"({"type":"join","room":"lobby","nick":"jay")").empty());
    js.send("/msg Jay note");
    js.send("after");
    std::vector<json> privates;
    for (std::string line; !(line = js.nextLine()).empty();) {
        auto j = json::parse(line, nullptr, false);
        if (j.value("type", "") == "message" && j.value("text", "") == "after") break;
        if (j.value("type", "") == "private") privates.push_back(j);
    }
    ASSERT_EQ(privates.size(), 1u);
    EXPECT_EQ(privates[0]["from"], "jay");
    EXPECT_EQ(privates[0]["to"], "jay");
    EXPECT_EQ(privates[0]["text"], "note");
}

TEST(ChatSession, IdleClientsAreToldWhyTheyAreClosed) {
    DaemonProcess daemon(chatConfig("limits: {idle_timeout: 300ms}\n"));
    ChatClient text(daemon.port()), js(daemon.port());
    text.send("/hello");
    js.send("/hello json");
    auto welcome = nextJson(js);
    EXPECT_EQ(welcome["idle_timeout_ms"], 300);
    std::string rest;
    EXPECT_TRUE(text.socket().waitClosed(std::chrono::seconds(10), &rest));
    EXPECT_TRUE(rest.ends_with("! closing: idle timeout\n")) << rest;
    auto closing = js.waitFor([](const std::string& l) { return l.find("closing") != l.npos; });
    auto j = json::parse(closing);
    EXPECT_EQ(j["type"], "closing");
    EXPECT_EQ(j["reason"], "idle timeout");
    EXPECT_TRUE(js.socket().waitClosed());
}

TEST(ChatSession, ASlowConsumerIsToldWhyItIsDropped) {
    DaemonProcess daemon(chatConfig(
        "limits: {output_buffer_bytes: 64KiB, max_line_bytes: 64KiB, messages_per_second: 10000, "
        "burst: 100000}\n"));
    ChatClient slow(daemon.port()), talker(daemon.port());
    slow.send("/hello");
    talker.send("/hello");
    ASSERT_FALSE(slow.waitForPrefix("-!- Welcome").empty());
    ASSERT_FALSE(talker.waitForPrefix("-!- Welcome").empty());
    auto dropped = [](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "slow consumer";
    };
    const std::string filler(32 * 1024, 'z');
    // The slow client reads nothing until the daemon gave up on it (the kernel buffers some
    // MB first); the talker reads its own echoes so that it is never the slow one.
    for (int i = 0; i < 4000 && daemon.countEvents(dropped) == 0; ++i) {
        talker.send(std::to_string(i) + filler);
        ASSERT_FALSE(talker.waitForPrefix("<").empty());
    }
    ASSERT_EQ(daemon.countEvents(dropped), 1u);
    // What the kernel held, then the reason on a line of its own, then the end.
    std::string last = slow.waitFor([](const std::string& l) { return l.starts_with("!"); },
                                    std::chrono::seconds(30));
    EXPECT_EQ(last, "! closing: slow consumer");
    EXPECT_TRUE(slow.socket().waitClosed());
}

TEST(ChatSession, LinesThatAreNotChatAreNeitherPostedNorKept) {
    DaemonProcess daemon(chatConfig());
    ChatClient member(daemon.port());
    member.send("/hello nick=m");
    ASSERT_FALSE(member.waitForLine("-!- m joined #lobby").empty());

    ChatClient http(daemon.port());
    http.sendRaw("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88\r\n\r\n");
    std::string rest;
    EXPECT_TRUE(http.socket().waitClosed(std::chrono::seconds(10), &rest));
    EXPECT_EQ(rest, "! this is a sockchatd chat port, not an HTTP server\n");

    ChatClient irc(daemon.port());
    irc.sendRaw("CAP LS 302\r\nNICK bob\r\nUSER bob 0 * :Bob\r\nJOIN #lobby\r\n");
    EXPECT_EQ(irc.nextLine(),
              "! this is a sockchatd chat port (a line protocol: /hello, /help), not IRC");
    irc.send("/nick bob");  // a person who reads the error can still chat
    EXPECT_EQ(irc.nextLine().rfind("-!- Welcome to sockchatd!", 0), 0u);

    // A one-shot client of another service (sockctl echo aimed at the wrong port): bytes, then
    // the end of its input, before any greeting.
    ChatClient echo(daemon.port());
    echo.sendRaw("Wilson");
    echo.socket().shutdownWrite();
    rest.clear();
    EXPECT_TRUE(echo.socket().waitClosed(std::chrono::seconds(10), &rest));
    EXPECT_EQ(rest,
              "! this is a sockchatd chat port (a line protocol: /hello, /help); your input was "
              "not posted\n");

    // The member saw only the IRC user who became a chat user; the history kept nothing.
    member.send("marker");
    auto seen = linesUntil(member, "<m> marker");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_TRUE(seen[0].starts_with("-!- guest-") && seen[0].ends_with(" joined #lobby"))
        << seen[0];
    EXPECT_TRUE(seen[1].ends_with(" is now known as bob")) << seen[1];
    ChatClient late(daemon.port());
    late.send("/hello nick=late");
    auto history = linesUntil(late, "-!- late joined #lobby");
    std::erase_if(history, [](const std::string& l) { return !l.starts_with("[history]"); });
    EXPECT_EQ(history, (std::vector<std::string>{"[history] <m> marker"}));
    ASSERT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "http request";
    }));
}

TEST(ChatSession, ALeftNickIsFreeAsSoonAsTheLeaveIsSeen) {
    DaemonProcess daemon(chatConfig("threads: 4\n"));
    ChatClient b(daemon.port());
    b.send("/hello nick=watcher");
    ASSERT_FALSE(b.waitForLine("-!- watcher joined #lobby").empty());
    for (int round = 0; round < 20; ++round) {
        const std::string nick = "fisher" + std::to_string(round);
        ChatClient a(daemon.port());
        a.send("/hello nick=" + nick);
        ASSERT_FALSE(b.waitForLine("-!- " + nick + " joined #lobby").empty());
        a.send("/quit");
        // Whoever sees the leave can take the nick at once: it was freed in the same step.
        ASSERT_FALSE(b.waitForLine("-!- " + nick + " left #lobby (quit)").empty());
        b.send("/nick " + nick);
        EXPECT_EQ(b.nextLine(),
                  "-!- " + std::string(round ? "fisher" + std::to_string(round - 1) : "watcher") +
                      " is now known as " + nick);
    }
}
