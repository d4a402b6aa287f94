#include "sockchat/chat/token_bucket.h"

#include <gtest/gtest.h>

using sockchat::chat::TokenBucket;
using namespace std::chrono_literals;

TEST(TokenBucket, BurstThenRate) {
    auto t0 = TokenBucket::Clock::now();
    TokenBucket b(2.0, 3.0, t0);
    EXPECT_TRUE(b.take(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_FALSE(b.take(t0));
    EXPECT_TRUE(b.take(t0 + 500ms));  // 2/s: one token after 0.5 s
    EXPECT_FALSE(b.take(t0 + 600ms));
    EXPECT_TRUE(b.take(t0 + 100s));  // refills, capped at burst
    EXPECT_TRUE(b.take(t0 + 100s));
    EXPECT_TRUE(b.take(t0 + 100s));
    EXPECT_FALSE(b.take(t0 + 100s));
}

TEST(TokenBucket, RefusedTakesDoNotDelayRecovery) {
    auto t0 = TokenBucket::Clock::now();
    TokenBucket b(1.0, 1.0, t0);
    EXPECT_TRUE(b.take(t0));
    for (int i = 1; i < 10; ++i) EXPECT_FALSE(b.take(t0 + i * 50ms));
    EXPECT_TRUE(b.take(t0 + 1s));
}

TEST(TokenBucket, ReconfigureCapsSavedTokens) {
    auto t0 = TokenBucket::Clock::now();
    TokenBucket b(1.0, 10.0, t0);
    b.reconfigure(1.0, 2.0);
    EXPECT_TRUE(b.take(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_FALSE(b.take(t0));
}
