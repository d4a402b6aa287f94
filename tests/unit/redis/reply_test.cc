#include "sockchat/redis/reply.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>

using sockchat::redis::Reply;

namespace {

// Parses raw RESP with hiredis's own reader, so the conversion sees genuine redisReply trees.
Reply parse(const std::string& resp) {
    std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                    &redisReaderFree);
    redisReaderFeed(reader.get(), resp.data(), resp.size());
    void* raw = nullptr;
    EXPECT_EQ(redisReaderGetReply(reader.get(), &raw), REDIS_OK);
    EXPECT_NE(raw, nullptr);
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                  &freeReplyObject);
    return Reply::fromHiredis(*reply);
}

TEST(RedisReply, ConvertsScalars) {
    EXPECT_EQ(parse("+OK\r\n"), Reply::status("OK"));
    EXPECT_TRUE(parse("+OK\r\n").isStatus());
    Reply error = parse("-ERR bad thing\r\n");
    EXPECT_TRUE(error.isError());
    EXPECT_EQ(error.str(), "ERR bad thing");
    EXPECT_EQ(parse(":-42\r\n").integer(), -42);
    EXPECT_TRUE(parse(":7\r\n").isInteger());
    EXPECT_TRUE(parse("$-1\r\n").isNil());
    EXPECT_TRUE(parse("*-1\r\n").isNil());
}

TEST(RedisReply, StringsAreBinarySafeCopies) {
    Reply reply = parse(std::string("$5\r\na\0b\r\n\r\n", 12));
    ASSERT_TRUE(reply.isString());
    EXPECT_EQ(reply.str(), std::string("a\0b\r\n", 5));
}

TEST(RedisReply, ConvertsNestedArrays) {
    Reply reply = parse("*3\r\n$7\r\nmessage\r\n*2\r\n:1\r\n$-1\r\n+x\r\n");
    ASSERT_TRUE(reply.isArray());
    ASSERT_EQ(reply.elements().size(), 3u);
    EXPECT_EQ(reply.elements()[0], Reply::string("message"));
    EXPECT_EQ(reply.elements()[1], Reply::array({Reply::integer(1), Reply::nil()}));
    EXPECT_EQ(reply.elements()[2], Reply::status("x"));
    EXPECT_EQ(reply.describe(), "[\"message\", [1, (nil)], x]");
    EXPECT_TRUE(parse("*0\r\n").elements().empty());
}

}  // namespace
