#include "endpoint.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace sockctl {
namespace {

bool parsePort(std::string_view text, std::uint16_t* port, std::string* error) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
        value > 65535) {
        *error = "\"" + std::string(text) + "\" is not a port number (1-65535)";
        return false;
    }
    *port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

std::string Endpoint::toString() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::optional<Endpoint> parseEndpoint(std::string_view text, std::string* error) {
    Endpoint result;
    if (text.empty()) {
        *error = "empty address (use HOST[:PORT], e.g. 127.0.0.1:8001 or [::1]:8001)";
        return std::nullopt;
    }
    std::string_view portText;
    if (text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            *error = "missing \"]\" in \"" + std::string(text) + "\" (use e.g. [::1]:8001)";
            return std::nullopt;
        }
        result.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                *error =
                    "unexpected \"" + std::string(rest) + "\" after \"]\" (use e.g. [::1]:8001)";
                return std::nullopt;
            }
            portText = rest.substr(1);
            if (portText.empty()) {
                *error = "missing port after \":\"";
                return std::nullopt;
            }
        }
        if (result.host.empty()) {
            *error = "empty IPv6 address in \"" + std::string(text) + "\"";
            return std::nullopt;
        }
    } else if (std::size_t colon = text.find(':'); colon == std::string_view::npos) {
        result.host = std::string(text);
    } else if (text.find(':', colon + 1) != std::string_view::npos) {
        // Two or more colons: a bare IPv6 address. "::1:8001" would be ambiguous, so a port
        // after an IPv6 address needs the brackets.
        result.host = std::string(text);
    } else {
        if (colon > 0) result.host = std::string(text.substr(0, colon));
        portText = text.substr(colon + 1);
        if (portText.empty()) {
            *error = "missing port after \":\"";
            return std::nullopt;
        }
    }
    if (!portText.empty() && !parsePort(portText, &result.port, error)) return std::nullopt;
    return result;
}

std::vector<sockchat::net::SocketAddress> resolveEndpoint(const Endpoint& endpoint,
                                                          std::string* error) {
    if (auto loopback = sockchat::net::localhostAddresses(endpoint.host, endpoint.port))
        return std::move(*loopback);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    std::string service = std::to_string(endpoint.port);
    int rc = ::getaddrinfo(endpoint.host.c_str(), service.c_str(), &hints, &list);
    if (rc == EAI_BADFLAGS || (rc != 0 && rc != EAI_SYSTEM && (hints.ai_flags & AI_ADDRCONFIG))) {
        // AI_ADDRCONFIG hides ::1 on a host whose only configured addresses are loopback ones;
        // retry without it rather than fail a perfectly reachable address.
        hints.ai_flags &= ~AI_ADDRCONFIG;
        rc = ::getaddrinfo(endpoint.host.c_str(), service.c_str(), &hints, &list);
    }
    if (rc != 0) {
        *error = rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : ::gai_strerror(rc);
        return {};
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);
    std::vector<sockchat::net::SocketAddress> out;
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        auto address = sockchat::net::SocketAddress::fromSockaddr(ai->ai_addr, ai->ai_addrlen);
        bool seen = false;
        for (const auto& a : out) seen = seen || a == address;
        if (!seen) out.push_back(address);
    }
    if (out.empty()) *error = "no usable address";
    return out;
}

}  // namespace sockctl
