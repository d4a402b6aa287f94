// Which config listener sockctl talks to, and when that makes it speak TLS: --tls prefers the
// TLS listener of the service; without --tls, a listener whose port sockctl takes from the
// config brings its TLS along, and a port the user gave does not.
#include "listener_choice.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "listener_lookup.h"

namespace sockctl {
namespace {

using sockchat::config::Listener;
using sockchat::config::Service;

Listener listener(Service service, std::uint16_t port, bool tls) {
    Listener l;
    l.service = service;
    l.address = *sockchat::net::SocketAddress::parse("127.0.0.1:" + std::to_string(port));
    if (tls) {
        l.tls.emplace();
        l.tls->certificate = "c.pem";
        l.tls->key = "k.pem";
    }
    return l;
}

TEST(SockctlListenerChoice, FirstOfTheServiceOrWithTlsTheFirstTlsOne) {
    const std::vector<Listener> listeners{
        listener(Service::echo, 8000, false), listener(Service::chat, 8001, false),
        listener(Service::chat, 6697, true), listener(Service::chat, 6698, true)};
    EXPECT_EQ(chooseListener(listeners, Service::chat, false), &listeners[1]);
    EXPECT_EQ(chooseListener(listeners, Service::chat, true), &listeners[2]);
    // No TLS listener of the service: --tls applies to the first one.
    EXPECT_EQ(chooseListener(listeners, Service::echo, true), &listeners[0]);
    EXPECT_EQ(chooseListener({listeners[1]}, Service::echo, false), nullptr);
    EXPECT_EQ(chooseListener({}, Service::chat, true), nullptr);
}

class SockctlListenerLookup : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "sockctl-lookup-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/sockchatd.yaml";
        std::ofstream(path_) << "listen:\n"
                                "  - {service: chat, address: \"0.0.0.0:8001\"}\n"
                                "  - {service: chat, address: \"127.0.0.1:6697\", tls: "
                                "{certificate: /c.pem, key: /k.pem}}\n"
                                "  - {service: echo, address: \"[::]:6698\", tls: "
                                "{certificate: /c.pem, key: /k.pem}}\n";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_, path_;
};

TEST_F(SockctlListenerLookup, TlsComesWithTheListenersPort) {
    auto plain = findListener(Service::chat, "", path_);
    ASSERT_TRUE(plain.endpoint) << plain.error;
    EXPECT_EQ(plain.endpoint->toString(), "127.0.0.1:8001");
    EXPECT_FALSE(plain.endpoint->tls);

    auto wanted = findListener(Service::chat, "", path_, true);
    ASSERT_TRUE(wanted.endpoint) << wanted.error;
    EXPECT_EQ(wanted.endpoint->toString(), "127.0.0.1:6697");
    EXPECT_TRUE(wanted.endpoint->tls);

    // The only echo listener speaks TLS: so does sockctl, unasked, also with a host given.
    auto automatic = findListener(Service::echo, "", path_);
    ASSERT_TRUE(automatic.endpoint) << automatic.error;
    EXPECT_EQ(automatic.endpoint->toString(), "[::1]:6698");
    EXPECT_TRUE(automatic.endpoint->tls);
    auto hostGiven = findListener(Service::echo, "localhost", path_);
    ASSERT_TRUE(hostGiven.endpoint) << hostGiven.error;
    EXPECT_EQ(hostGiven.endpoint->toString(), "localhost:6698");
    EXPECT_TRUE(hostGiven.endpoint->tls);

    // A port the user gave is not the config's listener: TLS only with --tls.
    auto portGiven = findListener(Service::echo, ":7000", path_);
    ASSERT_TRUE(portGiven.endpoint) << portGiven.error;
    EXPECT_FALSE(portGiven.endpoint->tls);
    auto full = findListener(Service::chat, "127.0.0.1:6697", path_);
    ASSERT_TRUE(full.endpoint) << full.error;
    EXPECT_FALSE(full.endpoint->tls);
    EXPECT_TRUE(findListener(Service::chat, "127.0.0.1:6697", path_, true).endpoint->tls);
}

}  // namespace
}  // namespace sockctl
