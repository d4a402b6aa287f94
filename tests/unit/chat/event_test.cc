// Pins every line of the protocol (daemon/chat/PROTOCOL.md): sockctl parses the JSON lines and
// people read the text lines, so a change here is a protocol change.
#include "sockchat/chat/event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using sockchat::chat::Event;
using sockchat::chat::renderJson;
using sockchat::chat::renderText;
using Type = Event::Type;

namespace {

// 2026-11-25T10:00:01.042Z
const auto kTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795600801042));

Event make(Type type) {
    Event e;
    e.type = type;
    e.time = kTime;
    return e;
}

struct Rendered {
    std::string text;
    nlohmann::ordered_json json;
};

Rendered render(const Event& e) {
    std::string json = renderJson(e);
    EXPECT_EQ(json.find('\n'), json.size() - 1) << json;  // one line
    EXPECT_EQ(renderText(e).find('\n'), renderText(e).size() - 1);
    return {renderText(e), nlohmann::ordered_json::parse(json)};
}

}  // namespace

TEST(Event, WelcomeAndNotice) {
    Event e = make(Type::welcome);
    e.nick = "guest-1";
    e.room = "lobby";
    e.text = "json mode";
    auto r = render(e);
    EXPECT_EQ(r.text, "-!- json mode\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"welcome","nick":"guest-1","room":"lobby","text":"json mode","protocol":3,"idle_timeout_ms":0,"max_rooms":0,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.names = {"lobby", "dev"};
    e.idleTimeoutMs = 30000;
    e.maxRooms = 20;
    EXPECT_EQ(
        render(e).json.dump(),
        R"j({"type":"welcome","nick":"guest-1","room":"lobby","text":"json mode","rooms":["lobby","dev"],"protocol":3,"idle_timeout_ms":30000,"max_rooms":20,"ts":"2026-11-25T10:00:01.042Z"})j");
    e = make(Type::notice);
    e.text = "server shutting down";
    r = render(e);
    EXPECT_EQ(r.text, "-!- server shutting down\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"notice","text":"server shutting down","ts":"2026-11-25T10:00:01.042Z"})j");
}

TEST(Event, MessageActionAndHistory) {
    Event e = make(Type::message);
    e.room = "lobby";
    e.from = "alice";
    e.text = "hi \"there\"";
    e.seq = 3;
    auto r = render(e);
    EXPECT_EQ(r.text, "<alice> hi \"there\"\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"message","room":"lobby","from":"alice","text":"hi \"there\"","seq":3,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.type = Type::action;
    e.text = "waves";
    r = render(e);
    EXPECT_EQ(r.text, "* alice waves\n");
    EXPECT_EQ(r.json["type"], "action");
    e.type = Type::history;
    e.action = true;
    r = render(e);
    EXPECT_EQ(r.text, "[history] * alice waves\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"history","room":"lobby","from":"alice","text":"waves","seq":3,"kind":"action","ts":"2026-11-25T10:00:01.042Z"})j");
    e.action = false;
    EXPECT_EQ(render(e).text, "[history] <alice> waves\n");
    EXPECT_EQ(render(e).json["kind"], "message");
}

TEST(Event, PrivateDiffersPerCopyInTextOnly) {
    Event e = make(Type::privateMessage);
    e.from = "amy";
    e.to = "ben";
    e.text = "psst";
    e.nick = "ben";  // the recipient's copy
    auto recipient = render(e);
    EXPECT_EQ(recipient.text, "[msg from amy] psst\n");
    e.nick = "amy";  // the sender's copy
    auto sender = render(e);
    EXPECT_EQ(sender.text, "[msg to ben] psst\n");
    EXPECT_EQ(sender.json, recipient.json);
    EXPECT_EQ(
        sender.json.dump(),
        R"j({"type":"private","from":"amy","to":"ben","text":"psst","ts":"2026-11-25T10:00:01.042Z"})j");
}

TEST(Event, JoinLeaveNick) {
    Event e = make(Type::join);
    e.room = "dev";
    e.nick = "bob";
    e.seq = 7;
    auto r = render(e);
    EXPECT_EQ(r.text, "-!- bob joined #dev\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"join","room":"dev","nick":"bob","seq":7,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.type = Type::leave;
    e.text = "quit: bye";
    r = render(e);
    EXPECT_EQ(r.text, "-!- bob left #dev (quit: bye)\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"leave","room":"dev","nick":"bob","reason":"quit: bye","seq":7,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.text = "";
    EXPECT_EQ(render(e).text, "-!- bob left #dev\n");
    EXPECT_EQ(render(e).json["reason"], "");
    e = make(Type::nick);
    e.room = "dev";
    e.from = "bob";
    e.nick = "robert";
    e.seq = 8;
    r = render(e);
    EXPECT_EQ(r.text, "-!- bob is now known as robert\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"nick","from":"bob","nick":"robert","room":"dev","seq":8,"ts":"2026-11-25T10:00:01.042Z"})j");
}

TEST(Event, ErrorWhoRooms) {
    Event e = make(Type::error);
    e.text = "unknown command /foo (try /help)";
    auto r = render(e);
    EXPECT_EQ(r.text, "! unknown command /foo (try /help)\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"error","text":"unknown command /foo (try /help)","ts":"2026-11-25T10:00:01.042Z"})j");
    e = make(Type::who);
    e.room = "dev";
    e.names = {"carol", "robert"};
    e.total = 2;
    e.page = 1;
    r = render(e);
    EXPECT_EQ(r.text, "-!- #dev: carol, robert\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"who","room":"dev","nicks":["carol","robert"],"total":2,"page":1,"more":0,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.total = 250;
    e.more = 248;
    e.text = "/who #dev 2";
    EXPECT_EQ(render(e).text, "-!- #dev: carol, robert; 248 more (/who #dev 2)\n");
    e = make(Type::rooms);
    e.rooms = {{"dev", 2}, {"lobby", 1}};
    e.topics = {"", "say hi"};
    e.total = 2;
    e.page = 1;
    r = render(e);
    EXPECT_EQ(r.text, "-!- rooms: #dev (2), #lobby (1, \"say hi\")\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"rooms","rooms":[{"name":"dev","members":2,"topic":""},{"name":"lobby","members":1,"topic":"say hi"}],"total":2,"page":1,"more":0,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.total = 60;
    e.more = 58;
    e.text = "/rooms 2";
    r = render(e);
    EXPECT_EQ(r.text, "-!- rooms: #dev (2), #lobby (1, \"say hi\"); 58 more (/rooms 2)\n");
    EXPECT_NE(r.json.dump().find(R"j("total":60,"page":1,"more":58)j"), std::string::npos);
}

TEST(Event, TopicCurrentPongClosingWhois) {
    Event e = make(Type::topic);
    e.room = "dev";
    e.from = "alice";
    e.text = "release friday";
    e.seq = 7;
    auto r = render(e);
    EXPECT_EQ(r.text, "-!- alice set the topic of #dev: release friday\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"topic","room":"dev","from":"alice","text":"release friday","seq":7,"ts":"2026-11-25T10:00:01.042Z"})j");
    e.seq = 0;  // shown on join
    EXPECT_EQ(render(e).text, "-!- topic of #dev: release friday\n");
    e.seq = 8;
    e.text = "";
    EXPECT_EQ(render(e).text, "-!- alice cleared the topic of #dev\n");

    e = make(Type::current);
    e.room = "dev";
    r = render(e);
    EXPECT_EQ(r.text, "-!- now talking in #dev\n");
    EXPECT_EQ(r.json.dump(),
              R"j({"type":"current","room":"dev","ts":"2026-11-25T10:00:01.042Z"})j");

    e = make(Type::pong);
    e.text = "t1";
    r = render(e);
    EXPECT_EQ(r.text, "-!- pong t1\n");
    EXPECT_EQ(r.json.dump(), R"j({"type":"pong","text":"t1","ts":"2026-11-25T10:00:01.042Z"})j");

    e = make(Type::closing);
    e.text = "idle timeout";
    r = render(e);
    EXPECT_EQ(r.text, "! closing: idle timeout\n");
    EXPECT_EQ(r.json.dump(),
              R"j({"type":"closing","reason":"idle timeout","ts":"2026-11-25T10:00:01.042Z"})j");

    e = make(Type::whois);
    e.nick = "bob";
    e.names = {"dev", "lobby"};
    e.text = "lunch";
    r = render(e);
    EXPECT_EQ(r.text, "-!- bob: in #dev, #lobby; away: lunch\n");
    EXPECT_EQ(
        r.json.dump(),
        R"j({"type":"whois","nick":"bob","rooms":["dev","lobby"],"away":"lunch","ts":"2026-11-25T10:00:01.042Z"})j");
}

TEST(Event, InvalidUtf8DoesNotThrowInJson) {
    Event e = make(Type::notice);
    e.text = "motd \xff";
    auto j = nlohmann::json::parse(renderJson(e));
    EXPECT_EQ(j["text"], "motd \xEF\xBF\xBD");
}

TEST(Event, NoUserLineCanPassForAServerLine) {
    // Every line the server says itself starts with the server prefix; a /me that reads like a
    // server event ("is now known as", "left #lobby") starts with "* " and so cannot.
    const std::string prefix(sockchat::chat::kServerLinePrefix);
    EXPECT_EQ(prefix, "-!- ");
    for (Type type : {Type::welcome, Type::notice, Type::join, Type::leave, Type::nick, Type::who,
                      Type::rooms, Type::topic, Type::current, Type::pong, Type::whois}) {
        Event e = make(type);
        e.nick = e.from = "alice";
        e.room = "lobby";
        e.text = "text";
        EXPECT_TRUE(renderText(e).starts_with(prefix)) << renderText(e);
    }
    Event e = make(Type::action);
    e.from = "alice";
    e.room = "lobby";
    e.text = "is now known as admin";
    EXPECT_EQ(renderText(e), "* alice is now known as admin\n");
    e.text = "left #lobby (server restart)";
    EXPECT_EQ(renderText(e), "* alice left #lobby (server restart)\n");
    // Nor can any other kind of user line.
    for (Type type : {Type::message, Type::action, Type::history, Type::privateMessage}) {
        e.type = type;
        e.text = "-!- bob is now known as admin";
        e.nick = e.to = "bob";
        EXPECT_FALSE(renderText(e).starts_with(prefix)) << renderText(e);
        EXPECT_FALSE(renderText(e).starts_with("! ")) << renderText(e);
    }
}
