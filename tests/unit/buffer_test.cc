#include "sockchat/net/buffer.h"

#include <gtest/gtest.h>

#include <string>

using sockchat::net::Buffer;

TEST(Buffer, AppendConsumeKeepsOrder) {
    Buffer b;
    EXPECT_TRUE(b.empty());
    b.append("hello ");
    b.append("world");
    EXPECT_EQ(b.view(), "hello world");
    b.consume(6);
    EXPECT_EQ(b.view(), "world");
    EXPECT_EQ(b.size(), 5u);
    b.consume(100);  // clamped
    EXPECT_TRUE(b.empty());
}

TEST(Buffer, ReclaimsConsumedFrontWhileStreaming) {
    Buffer b;
    std::string chunk(1000, 'x');
    std::string expected;
    // Always consume a little less than we append: contents must stay exact.
    for (int i = 0; i < 1000; ++i) {
        chunk[0] = static_cast<char>('a' + i % 26);
        b.append(chunk);
        expected += chunk;
        b.consume(990);
        expected.erase(0, 990);
    }
    EXPECT_EQ(b.view(), expected);
}

TEST(Buffer, BinarySafe) {
    Buffer b;
    std::string bytes("a\0b\0c", 5);
    b.append(bytes);
    EXPECT_EQ(b.size(), 5u);
    EXPECT_EQ(std::string(b.view()), bytes);
}
