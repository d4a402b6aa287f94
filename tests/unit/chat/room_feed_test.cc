#include "sockchat/chat/room_feed.h"

#include <gtest/gtest.h>

namespace sockchat::chat {
namespace {

std::vector<std::uint64_t> seqs(const RoomFeed::Step& step) {
    std::vector<std::uint64_t> out;
    for (const auto& item : step.ready) out.push_back(item.seq);
    return out;
}

std::string body(std::uint64_t seq) {
    return "e" + std::to_string(seq);
}

using V = std::vector<std::uint64_t>;

TEST(RoomFeed, InOrderEventsPassStraightThrough) {
    RoomFeed feed("E", 10);
    for (std::uint64_t s = 11; s <= 13; ++s) {
        auto step = feed.offer("E", s, body(s));
        EXPECT_EQ(seqs(step), V{s});
        EXPECT_EQ(step.ready.at(0).payload, body(s));
        EXPECT_FALSE(step.repair);
    }
    EXPECT_EQ(feed.last(), 13u);
}

TEST(RoomFeed, DuplicatesAndOldEventsAreDropped) {
    RoomFeed feed("E", 10);
    EXPECT_TRUE(feed.offer("E", 9, "old").ready.empty());
    EXPECT_TRUE(feed.offer("E", 10, "old").ready.empty());
    EXPECT_EQ(seqs(feed.offer("E", 11, body(11))), V{11});
    EXPECT_TRUE(feed.offer("E", 11, body(11)).ready.empty());
}

TEST(RoomFeed, AGapHoldsLaterEventsAndAsksForTheMissingRangeOnce) {
    RoomFeed feed("E", 10);
    auto step = feed.offer("E", 14, body(14));
    EXPECT_TRUE(step.ready.empty());
    ASSERT_TRUE(step.repair);
    EXPECT_EQ(*step.repair, (RoomFeed::Range{11, 13}));
    step = feed.offer("E", 15, body(15));
    EXPECT_TRUE(step.ready.empty());
    EXPECT_FALSE(step.repair) << "one repair at a time";
    // The live 12 arrives while the repair is out: still held, still in order later.
    EXPECT_TRUE(feed.offer("E", 12, body(12)).ready.empty());

    step = feed.filled({11, 13}, {{11, body(11)}, {12, body(12)}, {13, body(13)}});
    EXPECT_EQ(seqs(step), (V{11, 12, 13, 14, 15}));
    EXPECT_EQ(step.ready.at(3).payload, body(14));
    EXPECT_EQ(feed.lost(), 0u);
    EXPECT_FALSE(feed.repairing());
}

TEST(RoomFeed, WhatTheStreamNoLongerHasIsCountedLostNotWaitedFor) {
    RoomFeed feed("E", 10);
    ASSERT_TRUE(feed.offer("E", 15, body(15)).repair);
    auto step = feed.filled({11, 14}, {{13, body(13)}});
    EXPECT_EQ(seqs(step), (V{13, 15}));
    EXPECT_EQ(feed.lost(), 3u);
    EXPECT_EQ(feed.last(), 15u);
}

TEST(RoomFeed, ALostLastMessageIsNoticedFromTheTop) {
    RoomFeed feed("E", 10);
    auto step = feed.top("E", 12);
    ASSERT_TRUE(step.repair);
    EXPECT_EQ(*step.repair, (RoomFeed::Range{11, 12}));
    step = feed.filled({11, 12}, {{11, body(11)}, {12, body(12)}});
    EXPECT_EQ(seqs(step), (V{11, 12}));
    EXPECT_FALSE(feed.top("E", 12).repair) << "nothing missing any more";
}

TEST(RoomFeed, AnotherEpochIsReportedAndTakesNothing) {
    RoomFeed feed("E", 10);
    auto step = feed.offer("F", 1, body(1));
    EXPECT_TRUE(step.otherEpoch);
    EXPECT_TRUE(step.ready.empty());
    EXPECT_TRUE(feed.top("F", 3).otherEpoch);
    feed.restart("F", 0);
    EXPECT_EQ(seqs(feed.offer("F", 1, body(1))), V{1});
    EXPECT_TRUE(feed.offer("E", 11, body(11)).otherEpoch) << "the old epoch is over";
}

TEST(RoomFeed, ARepairAnsweredWithEntriesOutsideTheRangeTakesOnlyTheRange) {
    RoomFeed feed("E", 10);
    ASSERT_TRUE(feed.offer("E", 13, body(13)).repair);
    auto step = feed.filled({11, 12}, {{9, "x"}, {11, body(11)}, {12, body(12)}, {20, "y"}});
    EXPECT_EQ(seqs(step), (V{11, 12, 13}));
    EXPECT_EQ(feed.last(), 13u);
}

TEST(RoomFeed, AfterARepairALaterGapIsAskedForAgain) {
    RoomFeed feed("E", 10);
    ASSERT_TRUE(feed.offer("E", 12, body(12)).repair);
    EXPECT_TRUE(feed.offer("E", 15, body(15)).ready.empty());
    auto step = feed.filled({11, 11}, {{11, body(11)}});
    EXPECT_EQ(seqs(step), (V{11, 12}));
    ASSERT_TRUE(step.repair);
    EXPECT_EQ(*step.repair, (RoomFeed::Range{13, 14}));
}

}  // namespace
}  // namespace sockchat::chat
