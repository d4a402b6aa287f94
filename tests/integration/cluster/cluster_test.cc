// One chat across several daemons on one Redis (real redis-server processes, never a mock).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "cluster_harness.h"
#include "tcp_proxy.h"

using namespace sockchat::testing;
using namespace std::chrono_literals;

namespace {

TEST(Cluster, MembersOnEveryDaemonSeeOneOrderAndALateJoinerItsTail) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    std::vector<std::unique_ptr<ChatClient>> clients;
    for (int i = 0; i < 6; ++i)
        clients.push_back(joinAs((i % 2 ? b : a).chatPort(), "p" + std::to_string(i)));
    // Everyone has seen the last one's rename before the burst: all are in, on both daemons.
    for (int i = 0; i < 5; ++i)  // p5 has read its own already
        ASSERT_FALSE(
            clients[i]
                ->waitFor([](const std::string& l) { return l.ends_with(" is now known as p5"); })
                .empty());

    constexpr int kEach = 25;
    std::vector<std::thread> senders;
    for (int i = 0; i < 6; ++i)
        senders.emplace_back([&, i] {
            for (int m = 0; m < kEach; ++m)
                clients[i]->send("m" + std::to_string(i) + "." + std::to_string(m));
        });
    for (auto& t : senders) t.join();

    std::vector<std::vector<std::string>> seen;
    for (auto& c : clients) seen.push_back(readMessages(*c, 6 * kEach));
    for (std::size_t i = 0; i < seen.size(); ++i) {
        ASSERT_EQ(seen[i].size(), 6u * kEach) << "client p" << i;
        EXPECT_EQ(seen[i], seen[0]) << "client p" << i << " saw another order";
    }
    // Each sender's lines in the order it sent them.
    for (int i = 0; i < 6; ++i) {
        int next = 0;
        for (const auto& line : seen[0]) {
            if (line.rfind("<p" + std::to_string(i) + "> ", 0) != 0) continue;
            EXPECT_EQ(line, "<p" + std::to_string(i) + "> m" + std::to_string(i) + "." +
                                std::to_string(next++));
        }
        EXPECT_EQ(next, kEach);
    }

    // A newcomer on either daemon gets the last 20 (chat.history) as history, in that order.
    for (auto* node : {&a, &b}) {
        ChatClient late(node->chatPort());
        std::vector<std::string> history;
        std::string line;
        while (!(line = late.nextLine()).empty() && line.rfind("-!- guest-", 0) != 0)
            if (line.rfind("[history] ", 0) == 0) history.push_back(line.substr(10));
        std::vector<std::string> tail(seen[0].end() - 20, seen[0].end());
        EXPECT_EQ(history, tail) << "on node " << node->name;
    }
}

TEST(Cluster, TheSameNickAskedForOnTwoDaemonsAtOnceGoesToExactlyOne) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    for (int round = 0; round < 5; ++round) {
        ChatClient x(a.chatPort()), y(b.chatPort());
        std::string xNick = x.readGreeting(), yNick = y.readGreeting();
        std::string wanted = "zed" + std::to_string(round);
        std::thread tx([&] { x.send("/nick " + wanted); });
        y.send("/nick " + wanted);
        tx.join();
        auto answer = [&](ChatClient& c, const std::string& own) {
            return c.waitFor([&](const std::string& l) {
                return l == "-!- " + own + " is now known as " + wanted ||
                       l == "! nick " + wanted + " is taken";
            });
        };
        std::string ax = answer(x, xNick), ay = answer(y, yNick);
        int won = (ax.ends_with("known as " + wanted) ? 1 : 0) +
                  (ay.ends_with("known as " + wanted) ? 1 : 0);
        int lost = (ax.rfind("! nick", 0) == 0 ? 1 : 0) + (ay.rfind("! nick", 0) == 0 ? 1 : 0);
        EXPECT_EQ(won, 1) << ax << " / " << ay;
        EXPECT_EQ(lost, 1) << ax << " / " << ay;
    }
}

TEST(Cluster, PrivateMessagesWhoAndRoomsSpanTheDaemons) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    bob->send("/join side");
    ASSERT_FALSE(bob->waitForLine("-!- bob joined #side").empty());

    ann->send("/msg BOB psst");
    EXPECT_FALSE(ann->waitForLine("[msg to bob] psst").empty());
    EXPECT_FALSE(bob->waitForLine("[msg from ann] psst").empty());
    ann->send("/msg nobody hi");
    EXPECT_FALSE(ann->waitForLine("! no such nick nobody").empty());
    // A note to oneself arrives once (the sender's copy), before the echo of the next line.
    ann->send("/msg ANN note to self");
    ann->send("after the note");
    std::vector<std::string> seen;
    for (std::string l; (l = ann->nextLine()) != "<ann> after the note" && !l.empty();)
        seen.push_back(l);
    EXPECT_EQ(seen, (std::vector<std::string>{"[msg to ann] note to self"}));

    ann->send("/who side");
    EXPECT_FALSE(ann->waitForLine("-!- #side: bob").empty());
    ann->send("/who");
    EXPECT_FALSE(ann->waitForLine("-!- #lobby: ann, bob").empty());
    ann->send("/rooms");
    EXPECT_FALSE(ann->waitForLine("-!- rooms: #lobby (2), #side (1)").empty());
    ann->send("/whois bob");
    EXPECT_FALSE(ann->waitForLine("-!- bob: in #lobby, #side").empty());
}

// /rooms in a cluster is a page too: the rooms script looks up one page of the shared room set,
// never every room, and the pages together hold each room once.
TEST(Cluster, RoomsAnswersOnePageAtATime) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    std::vector<std::unique_ptr<ChatClient>> builders;
    for (int c = 0; c < 3; ++c) {  // 19 rooms each, with the lobby 58 rooms
        builders.push_back(joinAs((c % 2 ? b : a).chatPort(), "builder" + std::to_string(c)));
        for (int r = 0; r < 19; ++r) {  // one at a time (pipelined, they stalled at 13 on b)
            std::string room = "c" + std::to_string(c) + "-r" + std::to_string(r);
            builders.back()->send("/join " + room);
            ASSERT_FALSE(
                builders.back()
                    ->waitFor([&](const std::string& l) { return l.ends_with(" joined #" + room); })
                    .empty())
                << room;
        }
    }
    auto ann = joinAs(b.chatPort(), "ann");
    ann->send("/rooms");
    std::string first =
        ann->waitFor([](const std::string& l) { return l.find("rooms: #") != std::string::npos; });
    EXPECT_TRUE(first.ends_with("; 8 more (/rooms 2)")) << first;
    std::set<std::string> seen;
    for (std::size_t at = first.find('#'); at != std::string::npos; at = first.find('#', at + 1))
        seen.insert(first.substr(at + 1, first.find(' ', at) - at - 1));
    EXPECT_EQ(seen.size(), 50u) << first;
    ann->send("/mode json");
    ASSERT_NE(ann->nextLine().find("\"welcome\""), std::string::npos);
    ann->send("/rooms 2");
    std::string second = ann->nextLine();
    EXPECT_NE(second.find("\"total\":58,\"page\":2,\"more\":0"), std::string::npos) << second;
    for (std::size_t at = second.find("\"name\":\""); at != std::string::npos;
         at = second.find("\"name\":\"", at + 1)) {
        std::size_t from = at + 8;
        seen.insert(second.substr(from, second.find('"', from) - from));
    }
    EXPECT_EQ(seen.size(), 58u) << second;
    EXPECT_TRUE(seen.count("lobby") && seen.count("c2-r18"));
    ann->send("/rooms c1-*");
    std::string matched = ann->nextLine();
    EXPECT_NE(matched.find("\"total\":19,\"page\":1,\"more\":0"), std::string::npos) << matched;
    ann->send("/mode text");
    ASSERT_TRUE(ann->nextLine().ends_with(" text mode"));  // whatever the server-line prefix
    ann->send("/topic");
    EXPECT_FALSE(
        ann->waitFor([](const std::string& l) { return l.ends_with(" topic of #lobby: (none)"); })
            .empty());
}

TEST(Cluster, AKilledDaemonsMembersLeaveOnceAndItsNicksComeFree) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto dora = joinAs(b.chatPort(), "dora");
    auto carl = joinAs(a.chatPort(), "carl");
    ASSERT_FALSE(
        dora->waitFor([](const std::string& l) { return l.ends_with(" is now known as carl"); })
            .empty());
    a.daemon->signal(SIGKILL);
    ASSERT_EQ(a.daemon->waitExit(), 128 + SIGKILL);
    // nick_ttl is 3s: gone within it and a heartbeat.
    std::string left = dora->waitFor(
        [](const std::string& l) { return l.rfind("-!- carl left #lobby", 0) == 0; }, 10s);
    EXPECT_EQ(left, "-!- carl left #lobby (lost: its server stopped answering)");
    dora->send("/nick carl");
    EXPECT_FALSE(dora->waitForLine("-!- dora is now known as carl").empty());
    dora->send("/who");
    EXPECT_FALSE(dora->waitForLine("-!- #lobby: carl").empty());
    for (const auto& line : dora->skipped())
        EXPECT_NE(line.rfind("-!- carl left", 0), 0u) << "told twice: " << line;
}

TEST(Cluster, RedisNotThereAtStartPausesChatNotEchoUntilItComes) {
    RedisServer::Options options;
    options.start = false;
    RedisServer redis(options);
    DaemonProcess daemon(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "a"));
    ASSERT_TRUE(waitForLink(daemon, "down"));
    ChatClient chat(daemon.port(0));
    EXPECT_FALSE(chat.waitForLine("! chat is paused: the cluster link is down").empty());
    TestClient echo(daemon.port(1));
    echo.send("still here\n");
    EXPECT_EQ(echo.recvExactly(17), "hello still here\n");
    redis.start();
    ASSERT_TRUE(waitForLink(daemon, "up", 15s));
    // The client greeted meanwhile is told and lands in the room it was welcomed to.
    EXPECT_FALSE(chat.waitForLine("-!- chat is back: the cluster link is up again").empty());
    EXPECT_FALSE(chat.waitFor([](const std::string& l) {
                         return l.rfind("-!- guest-", 0) == 0 && l.ends_with(" joined #lobby");
                     })
                     .empty());
    chat.send("early bird");
    EXPECT_FALSE(
        chat.waitFor([](const std::string& l) { return l.ends_with("> early bird"); }).empty());
    ChatClient later(daemon.port(0));
    EXPECT_NO_THROW(later.readGreeting());
    later.send("hi");
    EXPECT_FALSE(later.waitFor([](const std::string& l) { return l.ends_with("> hi"); }).empty());
}

TEST(Cluster, AWrongPasswordIsACleanLogLineAndChatStaysPaused) {
    RedisServer::Options options;
    options.password = "right";
    RedisServer redis(options);
    TempFile secret("wrong\n", "redis.pass");
    ::chmod(secret.path().c_str(), 0600);
    DaemonProcess daemon(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "a", "",
                                       ", password_file: " + secret.path()));
    auto down = daemon.waitForEvent([](const nlohmann::json& e) {
        return e.value("event", "") == "cluster" && e.value("state", "") == "down";
    });
    ASSERT_TRUE(down);
    EXPECT_NE(down->value("reason", "").find("AUTH"), std::string::npos) << down->dump();
    EXPECT_EQ(daemon.stderrText().find("wrong"), std::string::npos) << "the secret was logged";
    ChatClient chat(daemon.port(0));
    EXPECT_FALSE(chat.waitForLine("! chat is paused: the cluster link is down").empty());
}

TEST(Cluster, AMessageSentDuringAnOutageIsAnErrorAndChatResumesAfter) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    ASSERT_FALSE(
        ann->waitFor([](const std::string& l) { return l.ends_with("is now known as bob"); })
            .empty());
    redis.stop(true);
    ASSERT_TRUE(waitForLink(*a.daemon, "down"));
    EXPECT_FALSE(ann->waitForLine("-!- chat is paused: the cluster link is down").empty());
    ann->send("lost?");
    EXPECT_FALSE(ann->waitForLine("! chat is paused: the cluster link is down").empty());
    redis.start();
    ASSERT_TRUE(waitForLink(*a.daemon, "up", 15s));
    ASSERT_TRUE(waitForLink(*b.daemon, "up", 15s));
    EXPECT_FALSE(ann->waitForLine("-!- chat is back: the cluster link is up again").empty());
    ann->send("back");
    EXPECT_FALSE(bob->waitForLine("<ann> back").empty());
    for (const auto& line : bob->skipped()) EXPECT_NE(line, "<ann> lost?");
}

}  // namespace

namespace {

// Client IDs of node's subscription connection(s), from CLIENT LIST.
std::vector<std::string> subscriberIds(const RedisServer& redis, const std::string& node) {
    std::vector<std::string> ids;
    std::string list = redis.command({"CLIENT", "LIST"}).str();
    std::size_t start = 0;
    while (start < list.size()) {
        std::size_t end = list.find('\n', start);
        std::string line = list.substr(start, end - start);
        start = end == std::string::npos ? list.size() : end + 1;
        if (line.find(" name=sockchatd:" + node + " ") == std::string::npos) continue;
        if (line.find(" sub=0 ") != std::string::npos) continue;  // the command connection
        auto id = line.find("id=");
        ids.push_back(line.substr(id + 3, line.find(' ', id) - id - 3));
    }
    return ids;
}

TEST(Cluster, EventsMissedWhileTheSubscriptionWasDroppedAreRepairedFromTheStream) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    ASSERT_FALSE(
        ann->waitFor([](const std::string& l) { return l.ends_with("is now known as bob"); })
            .empty());
    auto ids = subscriberIds(redis, "a");
    ASSERT_EQ(ids.size(), 1u);
    // Redis drops node a's subscription; bob's burst goes out while a is not listening (its
    // reconnect waits at least 50 ms), and the last of it is the room's last event.
    ASSERT_EQ(redis.command({"CLIENT", "KILL", "ID", ids[0]}).integer(), 1);
    for (int i = 0; i < 30; ++i) bob->send("burst " + std::to_string(i));
    auto lines = readMessages(*ann, 30);
    ASSERT_EQ(lines.size(), 30u);
    for (int i = 0; i < 30; ++i) EXPECT_EQ(lines[i], "<bob> burst " + std::to_string(i));
    // (The log line travels through another pipe than the lines: wait for it.)
    EXPECT_GE(a.daemon->waitForCount(
                  [](const nlohmann::json& e) {
                      return e.value("event", "") == "cluster" &&
                             e.value("msg", "") == "gap repaired from the room's stream";
                  },
                  1),
              1u);
    // Nothing twice afterwards either.
    bob->send("after");
    EXPECT_EQ(readMessages(*ann, 1), std::vector<std::string>{"<bob> after"});
}

// What members of #lobby are told when the cluster lost events (PROTOCOL.md "Several daemons"):
// once, when Redis lost the room's events (a new epoch), and when a daemon fell so far behind that
// the room's log no longer had what it missed.
bool toldHistoryLost(const std::string& line) {
    return line.rfind("-!- #lobby: the cluster lost this room's recent history", 0) == 0;
}
bool toldEventsLost(const std::string& line) {
    return line.rfind("-!- ", 0) == 0 &&
           line.find(" events of #lobby were lost") != std::string::npos;
}

// Sends `count` numbered lines, one every `gap`, then "done", each once the previous one was
// answered. A line is accepted when its echo comes back and refused when an error answers it. A
// line in flight when Redis was killed may get neither: Redis acknowledged it and then lost it
// with the room's history, which the sender, a member, is told instead.
struct Sender {
    std::string nick;
    std::vector<std::string> accepted, refused;
    std::vector<std::string> unanswered;  // lost with Redis: no echo, no error, the loss told
    std::size_t acceptedBeforeLoss = 0;   // accepted[0, this) were in the epoch Redis lost
    int toldHistoryLost = 0;
    int toldEventsLost = 0;
    bool gotEveryAnswer = true;
};

Sender sendNumbered(ChatClient& client, const std::string& nick, int count,
                    std::chrono::milliseconds gap) {
    Sender s{nick, {}, {}, {}, 0, 0, 0, true};
    enum class Answer { echoed, refused, lost, none };
    // Reads until `text` is echoed or refused. The lost-history notice can come first, and then
    // the echo may still follow (the line went to the new epoch) or never come (Redis lost it):
    // lines take effect in order, so a /ping sent then is answered after whatever `text` gets.
    auto answerTo = [&](const std::string& text) {
        bool probing = false;
        for (;;) {
            std::string line = client.nextLine();
            if (line.empty()) return Answer::none;
            if (line == "<" + nick + "> " + text) return Answer::echoed;
            if (line.rfind("! ", 0) == 0) return Answer::refused;
            if (probing && line == "-!- pong " + text) return Answer::lost;
            if (toldEventsLost(line)) ++s.toldEventsLost;
            if (toldHistoryLost(line)) {
                if (s.toldHistoryLost++ == 0) s.acceptedBeforeLoss = s.accepted.size();
                if (!probing) client.send("/ping " + text);
                probing = true;
            }
        }
    };
    for (int i = 0; i < count; ++i) {
        std::string text = nick + "-" + std::to_string(i);
        client.send(text);
        switch (answerTo(text)) {
            case Answer::echoed:
                s.accepted.push_back(text);
                break;
            case Answer::refused:
                s.refused.push_back(text);
                break;
            case Answer::lost:
                s.unanswered.push_back(text);
                break;
            case Answer::none:
                s.gotEveryAnswer = false;
                break;
        }
        std::this_thread::sleep_for(gap);  // pacing the load, not waiting for readiness
    }
    // "done" must get through: members read until they have every sender's.
    for (int attempt = 0; attempt < 100; ++attempt) {
        client.send("done");
        Answer answer = answerTo("done");
        if (answer == Answer::echoed) break;
        if (answer == Answer::none) s.gotEveryAnswer = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
}

// The promise of PROTOCOL.md "Several daemons" to the watchers of a busy room, given what the
// senders saw. Without `historyLost` (Redis kept its data) every accepted message reaches every
// member once and nothing is told lost. With it (Redis restarted empty), every member is told
// once that the room's recent history was lost; a member may lack the last accepted messages of
// the lost epoch (those Redis acknowledged but had not sent to its daemon when it died), only
// before that notice, and has every message accepted after it. Either way: once each, one order.
void expectThePromise(std::vector<std::unique_ptr<ChatClient>>& members,
                      const std::vector<Sender>& senders, bool historyLost) {
    int expectedTold = historyLost ? 1 : 0;
    for (const auto& s : senders) {
        EXPECT_TRUE(s.gotEveryAnswer) << s.nick << ": a line got no answer";
        EXPECT_EQ(s.toldHistoryLost, expectedTold) << s.nick;
        EXPECT_EQ(s.toldEventsLost, 0) << s.nick;
        // Only the line in flight when Redis died can be lost with it.
        EXPECT_LE(s.unanswered.size(), historyLost ? 1u : 0u) << s.nick;
    }
    std::vector<std::vector<std::string>> seen;
    for (auto& m : members) {
        std::vector<std::string> lines;
        std::set<std::string> done;
        int toldHistory = 0, toldEvents = 0;
        std::size_t toldAt = 0;  // messages seen before the history-lost notice
        while (done.size() < senders.size()) {
            std::string line = m->nextLine(20s);
            if (line.empty()) break;
            if (toldEventsLost(line)) ++toldEvents;
            if (toldHistoryLost(line) && toldHistory++ == 0) toldAt = lines.size();
            if (line.rfind("<", 0) != 0) continue;
            if (line.ends_with("> done")) {
                done.insert(line);
                continue;
            }
            lines.push_back(line);
        }
        ASSERT_EQ(done.size(), senders.size()) << "a member never saw every sender finish";
        EXPECT_EQ(toldHistory, expectedTold) << "the lost history told to a member";
        EXPECT_EQ(toldEvents, 0) << "nothing fell out of the room's log";
        std::set<std::string> unique(lines.begin(), lines.end());
        EXPECT_EQ(unique.size(), lines.size()) << "a message arrived twice";
        std::map<std::string, std::size_t> at;
        for (std::size_t i = 0; i < lines.size(); ++i) at.emplace(lines[i], i);
        for (const auto& s : senders) {
            bool lacking = false;  // of the lost epoch's messages, only a tail may be missing
            for (std::size_t i = 0; i < s.accepted.size(); ++i) {
                auto it = at.find("<" + s.nick + "> " + s.accepted[i]);
                bool lostEpoch = historyLost && i < s.acceptedBeforeLoss;
                if (it == at.end()) {
                    EXPECT_TRUE(lostEpoch) << "accepted and lost: " << s.accepted[i];
                    lacking = true;
                    continue;
                }
                EXPECT_FALSE(lostEpoch && lacking)
                    << "a gap in the lost epoch before " << s.accepted[i];
                if (historyLost) {
                    EXPECT_EQ(it->second < toldAt, lostEpoch)
                        << s.accepted[i] << " on the wrong side of the lost-history notice";
                }
            }
        }
        seen.push_back(std::move(lines));
    }
    // One order: the messages two members both have come in the same order.
    for (std::size_t i = 1; i < seen.size(); ++i) {
        std::set<std::string> mine(seen[i].begin(), seen[i].end());
        std::vector<std::string> common0, commonI;
        for (const auto& l : seen[0])
            if (mine.count(l)) common0.push_back(l);
        std::set<std::string> first(seen[0].begin(), seen[0].end());
        for (const auto& l : seen[i])
            if (first.count(l)) commonI.push_back(l);
        EXPECT_EQ(common0, commonI) << "members 0 and " << i << " disagree on the order";
    }
}

void busyRoomThrough(const std::function<void(RedisServer&)>& fault, bool historyLost) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    std::vector<std::unique_ptr<ChatClient>> members;
    members.push_back(joinAs(a.chatPort(), "ann"));
    members.push_back(joinAs(b.chatPort(), "bob"));
    members.push_back(joinAs(a.chatPort(), "cat"));
    members.push_back(joinAs(b.chatPort(), "dan"));
    for (int i = 0; i < 3; ++i)
        ASSERT_FALSE(
            members[i]
                ->waitFor([](const std::string& l) { return l.ends_with("is now known as dan"); })
                .empty());
    // The senders read their own connections; the watchers' lines wait in their sockets.
    std::vector<Sender> senders(2);
    std::thread annSends(
        [&] { senders[0] = sendNumbered(*members[0], "ann", 120, std::chrono::milliseconds(5)); });
    std::thread bobSends(
        [&] { senders[1] = sendNumbered(*members[1], "bob", 120, std::chrono::milliseconds(5)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // mid-stream
    fault(redis);
    annSends.join();
    bobSends.join();
    EXPECT_FALSE(senders[0].refused.empty() && senders[1].refused.empty())
        << "the fault did not hit the senders: the test proves nothing";
    EXPECT_FALSE(senders[0].accepted.empty());
    // Watchers (cat, dan) read from the start; the senders' own copies were read while sending.
    std::vector<std::unique_ptr<ChatClient>> watchers;
    watchers.push_back(std::move(members[2]));
    watchers.push_back(std::move(members[3]));
    expectThePromise(watchers, senders, historyLost);
    ASSERT_TRUE(waitForLink(*a.daemon, "up"));
}

// Redis has no persistence here: killed, it comes back empty, and what it had acknowledged but
// not yet sent to a daemon's subscription is gone with the room's epoch. That loss is told, not
// hidden; everything accepted after it reaches everyone.
TEST(Cluster, RedisKilledAndRestartedInABusyRoomLosesOnlyAnAnnouncedTail) {
    busyRoomThrough(
        [](RedisServer& redis) {
            redis.stop(true);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));  // an outage, on purpose
            redis.start();
        },
        true);
}

TEST(Cluster, RedisStalledInABusyRoomLosesNoAcceptedMessage) {
    busyRoomThrough(
        [](RedisServer& redis) {
            redis.pause();
            std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past commandTimeout
            redis.resume();
        },
        false);
}

}  // namespace

namespace {

TEST(Cluster, ANodeNameHeldByALiveDaemonStopsTheNewcomerWithExit78) {
    RedisServer redis;
    ClusterNode first = startNode(redis, "same");
    DaemonProcess second(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "same"));
    // It waits out a claim that a killed previous run could have left (nick_ttl 3s), then stops.
    EXPECT_EQ(second.waitExit(20s), 78);
    EXPECT_NE(second.stderrText().find("cluster.node same is in use by another daemon"),
              std::string::npos)
        << second.stderrText();
    // The first one was never disturbed.
    auto ann = joinAs(first.chatPort(), "ann");
    ann->send("still one chat");
    EXPECT_FALSE(ann->waitForLine("<ann> still one chat").empty());
}

TEST(Cluster, ARestartedNodeTakesItsNameBackOnceTheKilledRunsClaimExpires) {
    RedisServer redis;
    ClusterNode first = startNode(redis, "n1");
    first.daemon->signal(SIGKILL);
    ASSERT_EQ(first.daemon->waitExit(), 128 + SIGKILL);
    DaemonProcess again(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "n1"));
    EXPECT_TRUE(waitForLink(again, "up", 15s)) << again.stderrText();
}

}  // namespace

namespace {

TEST(Cluster, MetricsShowTheLinkAndPublishRoundTrips) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a", "metrics: {address: \"127.0.0.1:0\"}\n");
    auto ann = joinAs(a.chatPort(), "ann");
    ann->send("measured");
    ASSERT_FALSE(ann->waitForLine("<ann> measured").empty());
    std::string page = httpGet(metricsPort(*a.daemon), "/metrics");
    EXPECT_NE(page.find("\nsockchatd_cluster_up 1\n"), std::string::npos) << page;
    EXPECT_NE(page.find("\nsockchatd_cluster_publish_seconds_count 1\n"), std::string::npos)
        << page;
    EXPECT_NE(page.find("sockchatd_cluster_publish_seconds_bucket{le=\"+Inf\"} 1\n"),
              std::string::npos);
    redis.stop(true);
    ASSERT_TRUE(waitForLink(*a.daemon, "down"));
    page = httpGet(metricsPort(*a.daemon), "/metrics");
    EXPECT_NE(page.find("\nsockchatd_cluster_up 0\n"), std::string::npos) << page;
    EXPECT_NE(page.find("\nsockchatd_cluster_link_downs_total 1\n"), std::string::npos);
}

}  // namespace

namespace {

std::string sentinelConfig(const std::vector<std::unique_ptr<RedisServer>>& sentinels,
                           const std::string& node) {
    std::string list;
    for (const auto& s : sentinels)
        list += (list.empty() ? "\"" : ", \"") + std::string("127.0.0.1:") +
                std::to_string(s->port()) + "\"";
    return testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n",
                      "threads: 2\n"
                      "limits: {messages_per_second: 10000, burst: 10000}\n"
                      "cluster: {sentinels: [" +
                          list + "], master: mymaster, node: " + node + ", nick_ttl: 3s}\n");
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(50ms);  // polling interval, bounded by the deadline
    }
    return false;
}

TEST(Cluster, FollowsASentinelFailoverAndChatResumesInOneOrder) {
    RedisServer master;
    RedisServer::Options replicaOf;
    replicaOf.extraArgs = {"--replicaof", "127.0.0.1", std::to_string(master.port())};
    RedisServer replica(replicaOf);
    ASSERT_TRUE(eventually(
        [&] {
            return replica.command({"INFO", "replication"}).str().find("master_link_status:up") !=
                   std::string::npos;
        },
        10s));
    std::vector<std::unique_ptr<RedisServer>> sentinels;
    for (int i = 0; i < 3; ++i) {
        RedisServer::Options o;
        o.sentinelOf = master.port();
        sentinels.push_back(std::make_unique<RedisServer>(o));
    }
    // Every Sentinel knows the replica and the two others: a failover can be agreed on.
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& s : sentinels) {
                auto info = s->command({"SENTINEL", "MASTER", "mymaster"});
                bool ready = false, replicas = false;
                const auto& f = info.elements();
                for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
                    if (f[i].str() == "num-other-sentinels") ready = f[i + 1].str() == "2";
                    if (f[i].str() == "num-slaves") replicas = f[i + 1].str() == "1";
                }
                if (!ready || !replicas) return false;
            }
            return true;
        },
        20s));

    DaemonProcess a(sentinelConfig(sentinels, "a")), b(sentinelConfig(sentinels, "b"));
    ASSERT_TRUE(waitForLink(a, "up"));
    ASSERT_TRUE(waitForLink(b, "up"));
    auto ann = joinAs(a.port(0), "ann");
    auto bob = joinAs(b.port(0), "bob");
    ann->send("before");
    ASSERT_FALSE(ann->waitForLine("<ann> before").empty());
    ASSERT_FALSE(bob->waitForLine("<ann> before").empty());

    master.stop(true);
    auto upAgain = [](const DaemonProcess& d) {
        return d.waitForCount(
                   [](const nlohmann::json& e) {
                       return e.value("event", "") == "cluster" && e.value("state", "") == "up";
                   },
                   2, 40s) >= 2;
    };
    ASSERT_TRUE(upAgain(a)) << a.stderrText();
    ASSERT_TRUE(upAgain(b)) << b.stderrText();
    EXPECT_TRUE(a.waitForEvent([&](const nlohmann::json& e) {
        return e.value("msg", "") == "Sentinel names the master" &&
               e.value("address", "") == "127.0.0.1:" + std::to_string(replica.port());
    }));

    // Chat goes on across both daemons, in one order.
    std::thread annSends([&] {
        for (int i = 0; i < 10; ++i) ann->send("a" + std::to_string(i));
    });
    for (int i = 0; i < 10; ++i) bob->send("b" + std::to_string(i));
    annSends.join();
    auto annSaw = readMessages(*ann, 20), bobSaw = readMessages(*bob, 20);
    EXPECT_EQ(annSaw.size(), 20u);
    EXPECT_EQ(annSaw, bobSaw);
}

}  // namespace

namespace {

// What a failover to a replica that missed the last writes leaves behind: the room's counter
// went back while its epoch stayed. The next event must not pass for one already delivered.
TEST(Cluster, ARoomCounterThatWentBackStartsANewEpochInsteadOfLosingEvents) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    for (int i = 0; i < 5; ++i) ann->send("m" + std::to_string(i));
    ASSERT_EQ(readMessages(*bob, 5).size(), 5u);
    ASSERT_EQ(readMessages(*ann, 5).size(), 5u);
    redis.command({"HSET", "sockchat:room:lobby", "seq", "2"});
    ann->send("after the rewind");
    EXPECT_FALSE(bob->waitForLine("<ann> after the rewind").empty());
    EXPECT_FALSE(ann->waitForLine("<ann> after the rewind").empty());
    for (const auto& line : bob->skipped())
        if (line.find("lost this room's recent history") != std::string::npos) return;
    ADD_FAILURE() << "bob was not told the room's history was lost";
}

// What Redis restarted empty leaves for a daemon that has not heard of the room's new epoch yet:
// another daemon's event began it (here written by hand: epoch, counter and log, as if daemon b
// had published while a's subscription was not yet back). a's next event carries a floor of the
// old epoch, far above the new counter; it must join the new epoch rather than start a third
// one, which would delete the new epoch's log and, with it, an event b's member saw accepted.
TEST(Cluster, AFloorOfAnOlderEpochStartsNoFurtherEpoch) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    ann->send("before");
    ASSERT_FALSE(ann->waitForLine("<ann> before").empty());
    ASSERT_FALSE(bob->waitForLine("<ann> before").empty());
    const std::string newer = "ffffffffffff00000000";  // sorts after any epoch made until 10889
    redis.command({"DEL", "sockchat:room:lobby:log", "sockchat:room:lobby:history"});
    redis.command({"HSET", "sockchat:room:lobby", "epoch", newer, "seq", "1"});
    redis.command({"XADD", "sockchat:room:lobby:log", "1-1", "e",
                   R"({"f":"bob","ms":1,"r":"lobby","t":"message","x":"in the new epoch"})"});
    ann->send("after");
    for (auto* member : {ann.get(), bob.get()}) {
        std::vector<std::string> lines;
        for (std::string l; (l = member->nextLine()) != "<ann> after" && !l.empty();)
            lines.push_back(l);
        EXPECT_EQ(lines, (std::vector<std::string>{
                             "-!- #lobby: the cluster lost this room's recent history (its Redis "
                             "restarted or failed over); the conversation goes on",
                             "<bob> in the new epoch"}));
    }
    EXPECT_EQ(redis.command({"HGET", "sockchat:room:lobby", "epoch"}).str(), newer);
}

}  // namespace

namespace {

// Node a is cut off from Redis (a stalled TCP proxy between them) for longer than nick_ttl: its
// members are reaped, and bob on node b takes ann's nick. When a is back, ann cannot have it
// again: she becomes a guest, is told, and the room sees her come back under that nick, while
// bob keeps "ann" and his place in /who.
TEST(Cluster, ANickTakenWhileADaemonWasCutOffMakesItsClientAGuest) {
    RedisServer redis;
    TcpProxy proxy(redis.port());
    DaemonProcess a(clusterConfig("127.0.0.1:" + std::to_string(proxy.port()), "a"));
    ASSERT_TRUE(waitForLink(a, "up"));
    ClusterNode b = startNode(redis, "b");
    auto bob = joinAs(b.chatPort(), "bob");
    auto ann = joinAs(a.port(0), "ann");
    ASSERT_FALSE(
        bob->waitFor([](const std::string& l) { return l.ends_with(" is now known as ann"); })
            .empty());

    proxy.pause(true);
    ASSERT_TRUE(waitForLink(a, "down", 15s));
    ASSERT_FALSE(bob->waitFor(
                        [](const std::string& l) {
                            return l == "-!- ann left #lobby (lost: its server stopped answering)";
                        },
                        15s)
                     .empty());
    bob->send("/nick ann");
    ASSERT_FALSE(bob->waitForLine("-!- bob is now known as ann").empty());

    proxy.pause(false);
    ASSERT_TRUE(waitForLink(a, "up", 20s));
    std::string told = ann->waitFor(
        [](const std::string& l) { return l.rfind("-!- your nick ann was taken", 0) == 0; }, 15s);
    ASSERT_FALSE(told.empty());
    std::string guest = told.substr(told.rfind(' ') + 1);
    EXPECT_EQ(guest.rfind("guest-", 0), 0u) << told;
    // The room sees her back under the guest nick; bob is still ann.
    EXPECT_FALSE(bob->waitForLine("-!- " + guest + " joined #lobby").empty());
    bob->send("/who");
    std::string who = bob->waitForPrefix("-!- #lobby:");
    EXPECT_NE(who.find("ann"), std::string::npos) << who;
    EXPECT_NE(who.find(guest), std::string::npos) << who;
    ann->send("/nick ann");
    EXPECT_FALSE(ann->waitForLine("! nick ann is taken").empty());
}

}  // namespace

// The room's size travels with each join and leave (counted by the script in Redis), so every
// daemon applies chat.presence_limit to the whole room, not to its own share of it.
TEST(Cluster, ThePresenceLimitCountsTheMembersOfEveryDaemon) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a", "chat: {presence_limit: 2}\n");
    ClusterNode b = startNode(redis, "b", "chat: {presence_limit: 2}\n");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");  // two in the room: ann is shown bob's join
    ASSERT_NE(ann->waitFor([](const std::string& l) { return l.ends_with("is now known as bob"); }),
              "");
    auto cy = joinAs(b.chatPort(), "cy");  // three: only cy sees its join
    cy->send("/quit");                     // back to two: shown
    bob->send("marker");
    std::string line;
    while ((line = ann->nextLine()) != "<bob> marker") {
        ASSERT_NE(line, "") << "no marker";
        EXPECT_EQ(line.find(" joined #"), std::string::npos)
            << "shown on the other daemon: " << line;
    }
    EXPECT_NE(ann->waitFor(
                  [](const std::string& l) { return l.find(" left #lobby") != std::string::npos; }),
              "");
}
