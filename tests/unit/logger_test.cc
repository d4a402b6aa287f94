#include "sockchat/log/logger.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace sockchat::log;

namespace {
class CapturingSink : public Sink {
  public:
    struct Captured {
        Level level;
        std::string name, message, json, text;
        std::vector<Field> fields;
    };
    std::vector<Captured>* out;
    explicit CapturingSink(std::vector<Captured>* o) : out(o) {}
    void write(const Event& e) override {
        out->push_back({e.level, std::string(e.name), std::string(e.message), renderJson(e),
                        renderText(e), e.fields});
    }
};
}  // namespace

TEST(Logger, SinkReceivesTypedFieldsAndLevelFilters) {
    std::vector<CapturingSink::Captured> got;
    Logger logger(std::make_unique<CapturingSink>(&got), Level::info);
    logger.debug("connect", "hidden", {{"conn", "c1"}});
    logger.info("disconnect", "", {{"conn", "c2"}, {"bytes_in", 12ull}, {"reason", "peer closed"}});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].name, "disconnect");
    ASSERT_EQ(got[0].fields.size(), 3u);
    EXPECT_EQ(got[0].fields[1].key, "bytes_in");
    EXPECT_EQ(std::get<std::uint64_t>(got[0].fields[1].value), 12u);

    auto j = nlohmann::json::parse(got[0].json);
    EXPECT_EQ(j["event"], "disconnect");
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["conn"], "c2");
    EXPECT_EQ(j["bytes_in"], 12);  // a number, not a string
    EXPECT_EQ(j["reason"], "peer closed");
    EXPECT_TRUE(j["ts"].get<std::string>().ends_with("Z"));

    EXPECT_EQ(got[0].text, "disconnect conn=c2 bytes_in=12 reason=\"peer closed\"");

    logger.setLevel(Level::debug);
    logger.debug("connect", "shown", {});
    EXPECT_EQ(got.size(), 2u);
}

TEST(Logger, JsonSurvivesInvalidUtf8FromPeers) {
    std::vector<CapturingSink::Captured> got;
    Logger logger(std::make_unique<CapturingSink>(&got));
    logger.info("nick", "", {{"nick", std::string("bad\xff\xfe")}});
    ASSERT_EQ(got.size(), 1u);
    auto j = nlohmann::json::parse(got[0].json);
    EXPECT_EQ(j["nick"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Logger, ParseLevel) {
    EXPECT_EQ(parseLevel("warn"), Level::warn);
    EXPECT_EQ(parseLevel("critical"), Level::critical);
    EXPECT_FALSE(parseLevel("verbose").has_value());
}
