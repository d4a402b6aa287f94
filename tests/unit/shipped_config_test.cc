#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "sockchat/config/loader.h"

namespace sockchat::config {
namespace {

std::string readShipped() {
    std::ifstream in(SOCKCHAT_SHIPPED_CONFIG, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Config defaults() {
    Config config;
    config.listen = defaultListeners();
    return config;
}

TEST(ShippedConfig, LoadsAndEqualsTheStructDefaults) {
    LoadResult result = loadConfigFile(SOCKCHAT_SHIPPED_CONFIG);
    ASSERT_TRUE(result.config) << result.error->toString();
    EXPECT_EQ(*result.config, defaults());
}

TEST(ShippedConfig, SpellsOutEveryKey) {
    // "Every key with its default": the shipped file must not lean on the loader's defaults, so
    // that a default changed in config.h without a matching edit here fails the test above.
    YAML::Node root = YAML::LoadFile(SOCKCHAT_SHIPPED_CONFIG);
    EXPECT_TRUE(root["threads"].IsScalar());
    EXPECT_EQ(root["listen"].size(), 3u);
    EXPECT_EQ(root["shutdown_timeout"].Scalar(), "5s");
    const std::map<std::string, std::vector<std::string>> sections = {
        {"echo", {"prefix"}},
        {"chat",
         {"default_room", "history", "history_bytes", "motd", "partial_line_timeout",
          "presence_limit"}},
        {"limits",
         {"max_connections", "max_connections_per_ip", "ipv6_prefix_length", "max_line_bytes",
          "output_buffer_bytes", "idle_timeout", "messages_per_second", "burst",
          "max_rooms_per_client"}},
        {"logging", {"level", "format", "sink", "client_events_per_second"}},
        {"admin", {"socket", "group"}},
        {"metrics", {"address"}},
        {"cluster", {"redis", "password_file", "node", "prefix", "nick_ttl", "master"}},
    };
    // The one key whose value is a sequence.
    EXPECT_TRUE(root["cluster"]["sentinels"].IsSequence());
    for (const auto& [section, keys] : sections) {
        ASSERT_TRUE(root[section].IsMap()) << section;
        EXPECT_EQ(root[section].size(), keys.size() + (section == "cluster" ? 1 : 0)) << section;
        for (const std::string& key : keys)
            EXPECT_TRUE(root[section][key].IsScalar()) << section << "." << key;
    }
    EXPECT_EQ(root.size(), 3u + sections.size());
}

TEST(EmbeddedDefault, IsTheShippedFileByteForByte) {
    std::string shipped = readShipped();
    ASSERT_FALSE(shipped.empty());
    EXPECT_EQ(embeddedDefaultYaml(), shipped);
}

TEST(EmbeddedDefault, LoadsToTheDefaults) {
    EXPECT_EQ(embeddedDefaultConfig(), defaults());
    LoadResult result = loadEmbeddedDefault();
    ASSERT_TRUE(result.config);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(*result.config, defaults());
}

}  // namespace
}  // namespace sockchat::config
