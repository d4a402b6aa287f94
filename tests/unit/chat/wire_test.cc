#include "sockchat/chat/wire.h"

#include <gtest/gtest.h>

namespace sockchat::chat {
namespace {

Event sample(Event::Type type) {
    Event e;
    e.type = type;
    e.room = "Lobby";
    e.from = "ann";
    e.nick = "bob";
    e.text = "hello \xc3\xa9 \"quoted\"\n";
    e.seq = 42;
    e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764650000123));
    return e;
}

TEST(Wire, EveryRoomEventTypeRoundTripsWithAllItsFields) {
    for (auto type : {Event::Type::message, Event::Type::action, Event::Type::join,
                      Event::Type::leave, Event::Type::nick, Event::Type::topic}) {
        Event e = sample(type);
        auto back = decodeWireEvent(encodeWireEvent(e));
        ASSERT_TRUE(back) << typeName(type);
        EXPECT_EQ(back->type, type);
        EXPECT_EQ(back->room, e.room);
        EXPECT_EQ(back->from, e.from);
        EXPECT_EQ(back->nick, e.nick);
        EXPECT_EQ(back->text, e.text);
        EXPECT_EQ(back->seq, e.seq);
        EXPECT_EQ(back->time, e.time);
        // The same line for members, whichever daemon renders it.
        EXPECT_EQ(renderJson(*back), renderJson(e));
        EXPECT_EQ(renderText(*back), renderText(e));
    }
}

TEST(Wire, APrivateMessageKeepsItsRecipient) {
    Event e = sample(Event::Type::privateMessage);
    e.to = "carol";
    e.seq = 0;
    auto back = decodeWireEvent(encodeWireEvent(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->to, "carol");
    EXPECT_EQ(back->seq, 0u);
}

TEST(Wire, EmptyFieldsAreLeftOut) {
    Event e;
    e.type = Event::Type::join;
    e.nick = "ann";
    std::string wire = encodeWireEvent(e);
    EXPECT_EQ(wire.find("\"x\""), std::string::npos) << wire;
    EXPECT_EQ(wire.find("\"o\""), std::string::npos) << wire;
}

TEST(Wire, RejectsWhatAnotherWriterMightHavePublished) {
    EXPECT_FALSE(decodeWireEvent(""));
    EXPECT_FALSE(decodeWireEvent("hello"));
    EXPECT_FALSE(decodeWireEvent("[1,2]"));
    EXPECT_FALSE(decodeWireEvent(R"({"t":"message"})")) << "no time";
    EXPECT_FALSE(decodeWireEvent(R"({"t":"shout","ms":1})")) << "unknown type";
    EXPECT_FALSE(decodeWireEvent(R"({"t":"welcome","ms":1})")) << "not a room event";
    EXPECT_FALSE(decodeWireEvent(R"({"t":"message","ms":1,"x":7})")) << "text not a string";
    EXPECT_FALSE(decodeWireEvent(R"({"t":"message","ms":1,"s":-1})")) << "negative seq";
    EXPECT_TRUE(decodeWireEvent(R"({"t":"message","ms":1,"x":"hi","s":3})"));
}

// A join or leave carries the room's size (set by the Lua script that appends it), which decides
// whether other members are shown it.
TEST(Wire, APresenceEventKeepsTheRoomSize) {
    Event e = sample(Event::Type::join);
    e.members = 1234;
    auto back = decodeWireEvent(encodeWireEvent(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->members, 1234u);
    // As the script writes it: the wire with "m" spliced in before the closing brace.
    std::string wire = encodeWireEvent(sample(Event::Type::leave));
    wire.insert(wire.size() - 1, ",\"m\":7");
    back = decodeWireEvent(wire);
    ASSERT_TRUE(back) << wire;
    EXPECT_EQ(back->members, 7u);
    EXPECT_FALSE(decodeWireEvent(R"({"t":"join","ms":1,"n":"a","m":"7"})")) << "size not a number";
    EXPECT_EQ(decodeWireEvent(R"({"t":"join","ms":1,"n":"a"})")->members, 0u) << "unknown";
}

// Regression (tests/fuzz/wire_event_fuzz): a time beyond what system_clock holds made the
// ms -> ns conversion overflow a signed integer (UBSan: chrono.h "signed integer overflow").
TEST(Wire, RejectsATimeTheClockCannotHold) {
    // The input the fuzzer found (tests/fuzz/corpus/wire_event_fuzz/ms_overflow, less its
    // leading mode byte).
    EXPECT_FALSE(decodeWireEvent(R"({"t":"message","ms":17646500001333333})"));
    EXPECT_FALSE(decodeWireEvent(R"({"t":"join","ms":99999999999999999,"n":"a"})"));
    EXPECT_FALSE(decodeWireEvent(R"({"t":"join","ms":-99999999999999999,"n":"a"})"));
    EXPECT_FALSE(decodeWireEvent(R"({"t":"join","ms":18446744073709551615,"n":"a"})"));
    // The limits themselves (about 292 years either side of 1970) still decode, exactly.
    for (long long ms : {9223372036854LL, -9223372036854LL}) {
        auto e = decodeWireEvent(R"({"t":"join","n":"a","ms":)" + std::to_string(ms) + "}");
        ASSERT_TRUE(e) << ms;
        EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(e->time.time_since_epoch())
                      .count(),
                  ms);
    }
}

TEST(Wire, TypeNamesMapBack) {
    EXPECT_EQ(typeFromName("private"), Event::Type::privateMessage);
    EXPECT_EQ(typeFromName("whois"), Event::Type::whois);
    EXPECT_FALSE(typeFromName("privateMessage"));
}

}  // namespace
}  // namespace sockchat::chat
