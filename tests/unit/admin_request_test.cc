// Framing and arguments of admin requests (sockchat/admin/request.h).
#include <gtest/gtest.h>

#include <string>

#include "sockchat/admin/request.h"

namespace {

using nlohmann::json;
using sockchat::admin::Framed;
using sockchat::admin::kMaxRequestBytes;
using sockchat::admin::takeRequest;

TEST(AdminRequest, TakesOneLineAtATimeAndWaitsForTheRest) {
    std::string input = "{\"cmd\":\"status\"}\r\n{\"cmd\":\"ro";
    auto first = takeRequest(input);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->kind, Framed::Kind::request);
    EXPECT_EQ(first->request["cmd"], "status");
    EXPECT_FALSE(takeRequest(input)) << "half a line is not a request yet";
    input += "oms\"}\n";
    auto second = takeRequest(input);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->request["cmd"], "rooms");
    EXPECT_TRUE(input.empty());
}

TEST(AdminRequest, AnythingButAnObjectWithAStringCmdIsMalformedAndTheNextLineIsRead) {
    std::string input = "[1]\n{\"cmd\":7}\nnot json\n{\"cmd\":\"stop\"}\n";
    for (const char* expected : {"not a JSON object", "missing \"cmd\"", "not a JSON object"}) {
        auto framed = takeRequest(input);
        ASSERT_TRUE(framed);
        EXPECT_EQ(framed->kind, Framed::Kind::malformed);
        EXPECT_NE(framed->error.find(expected), std::string::npos) << framed->error;
    }
    auto last = takeRequest(input);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->kind, Framed::Kind::request);
}

TEST(AdminRequest, ALineOverTheCapIsRefusedEvenWhenItsNewlineArrivedInTheSameRead) {
    std::string unfinished(kMaxRequestBytes, 'x');
    auto framed = takeRequest(unfinished);
    ASSERT_TRUE(framed);
    EXPECT_EQ(framed->kind, Framed::Kind::tooLong);
    EXPECT_TRUE(unfinished.empty());

    std::string finished = "{\"cmd\":\"say\",\"text\":\"" + std::string(kMaxRequestBytes, 'y') +
                           "\"}\n{\"cmd\":\"status\"}\n";
    framed = takeRequest(finished);
    ASSERT_TRUE(framed);
    EXPECT_EQ(framed->kind, Framed::Kind::tooLong);
    EXPECT_NE(framed->error.find("65536"), std::string::npos) << framed->error;
}

TEST(AdminRequest, ArgumentsOfTheWrongTypeReadAsAbsentWithoutThrowing) {
    json request = {{"cmd", "say"}, {"text", 5}, {"room", "#lobby"}, {"all", 1}};
    EXPECT_EQ(sockchat::admin::stringArg(request, "text"), "");
    EXPECT_EQ(sockchat::admin::stringArg(request, "room"), "#lobby");
    EXPECT_EQ(sockchat::admin::stringArg(request, "client"), "");
    EXPECT_FALSE(sockchat::admin::flagArg(request, "all")) << "1 is not true";
    request["all"] = true;
    EXPECT_TRUE(sockchat::admin::flagArg(request, "all"));
}

}  // namespace
