#include "sockchat/net/address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/un.h>

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "sockchat/text/quote.h"

namespace sockchat::net {
namespace {

constexpr std::string_view kV4Example = "use e.g. 127.0.0.1:8000";
constexpr std::string_view kV6Example = "use e.g. [::1]:8000";
constexpr std::string_view kAnyExample = "use e.g. 127.0.0.1:8000 or [::1]:8000";

bool fail(std::string* error, std::string reason) {
    if (error) *error = std::move(reason);
    return false;
}

bool parsePort(std::string_view text, std::string_view example, std::uint16_t* port,
               std::string* error) {
    if (text.empty()) return fail(error, "missing port (" + std::string(example) + ")");
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    bool allDigits = text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!allDigits || end != text.data() + text.size())
        return fail(error, "port " + sockchat::text::quoteForMessage(text) + " is not a number");
    if (ec == std::errc::result_out_of_range || value > 65535)
        return fail(error,
                    "port " + sockchat::text::quoteForMessage(text) + " is out of range 0..65535");
    *port = static_cast<std::uint16_t>(value);
    return true;
}

// "%2" or "%eth0" after a link-local IPv6 address. Names are resolved once, here, so the stored
// address is what bind() needs and compares by number.
bool parseScope(std::string_view text, std::uint32_t* scope, std::string* error) {
    if (text.empty()) return fail(error, "empty IPv6 scope after \"%\"");
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) {
        *scope = value;
        return true;
    }
    unsigned index = ::if_nametoindex(std::string(text).c_str());
    if (index == 0)
        return fail(error, "unknown network interface " + sockchat::text::quoteForMessage(text));
    *scope = index;
    return true;
}

bool isIpv6(std::string_view text) {
    in6_addr addr{};
    return ::inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

std::string notNumeric(std::string_view host) {
    if (host == "*")
        return "\"*\" is not a numeric IP address (use e.g. 0.0.0.0:8000 or [::]:8000 for all "
               "interfaces)";
    return sockchat::text::quoteForMessage(host) + " is not a numeric IP address (" +
           std::string(kAnyExample) + ")";
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text, std::string* error) {
    if (text.empty()) {
        fail(error, "empty address (" + std::string(kAnyExample) + ")");
        return std::nullopt;
    }
    SocketAddress result;
    std::uint16_t port = 0;
    if (text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            fail(error, "missing \"]\" after the IPv6 address (" + std::string(kV6Example) + ")");
            return std::nullopt;
        }
        std::string_view host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        std::uint32_t scope = 0;
        if (std::size_t percent = host.find('%'); percent != std::string_view::npos) {
            if (!parseScope(host.substr(percent + 1), &scope, error)) return std::nullopt;
            host = host.substr(0, percent);
        }
        in6_addr addr{};
        if (::inet_pton(AF_INET6, std::string(host).c_str(), &addr) != 1) {
            fail(error, sockchat::text::quoteForMessage(host) + " is not a numeric IPv6 address (" +
                            std::string(kV6Example) + ")");
            return std::nullopt;
        }
        if (!rest.empty() && rest.front() != ':') {
            fail(error, "unexpected " + sockchat::text::quoteForMessage(rest) + " after \"]\" (" +
                            std::string(kV6Example) + ")");
            return std::nullopt;
        }
        if (!parsePort(rest.empty() ? rest : rest.substr(1), kV6Example, &port, error))
            return std::nullopt;
        auto* sin6 = &result.inet_.in6;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = addr;
        sin6->sin6_port = htons(port);
        sin6->sin6_scope_id = scope;
        result.len_ = sizeof(sockaddr_in6);
        return result;
    }

    std::size_t colon = text.rfind(':');
    std::string_view host = colon == std::string_view::npos ? text : text.substr(0, colon);
    // A bare IPv6 address is ambiguous with a port ("::1:8000"), so it must be bracketed.
    if (host.find(':') != std::string_view::npos) {
        if (isIpv6(text) || isIpv6(host)) {
            fail(error, "an IPv6 address must be in brackets (" + std::string(kV6Example) + ")");
        } else {
            fail(error, notNumeric(host));
        }
        return std::nullopt;
    }
    if (host.empty()) {
        fail(error, "missing IP address before " + sockchat::text::quoteForMessage(text) + " (" +
                        std::string(kAnyExample) + ")");
        return std::nullopt;
    }
    in_addr addr{};
    if (::inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1) {
        fail(error, notNumeric(host));
        return std::nullopt;
    }
    if (colon == std::string_view::npos) {
        fail(error, "missing port (" + std::string(kV4Example) + ")");
        return std::nullopt;
    }
    if (!parsePort(text.substr(colon + 1), kV4Example, &port, error)) return std::nullopt;
    auto* sin = &result.inet_.in4;
    sin->sin_family = AF_INET;
    sin->sin_addr = addr;
    sin->sin_port = htons(port);
    result.len_ = sizeof(sockaddr_in);
    return result;
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress result;
    if (sa == nullptr || len == 0 || len > sizeof(sockaddr_storage)) return result;
    if (len <= sizeof(result.inet_)) {
        std::memcpy(&result.inet_, sa, len);
    } else {
        auto other = std::make_shared<sockaddr_storage>();
        std::memcpy(other.get(), sa, len);
        result.other_ = std::move(other);
    }
    result.len_ = len;
    return result;
}

std::uint16_t SocketAddress::port() const {
    switch (family()) {
        case AF_INET:
            return ntohs(reinterpret_cast<const sockaddr_in*>(data())->sin_port);
        case AF_INET6:
            return ntohs(reinterpret_cast<const sockaddr_in6*>(data())->sin6_port);
        default:
            return 0;
    }
}

void SocketAddress::setPort(std::uint16_t port) {
    switch (family()) {
        case AF_INET:
            inet_.in4.sin_port = htons(port);
            break;
        case AF_INET6:
            inet_.in6.sin6_port = htons(port);
            break;
        default:
            break;
    }
}

std::string SocketAddress::ipString() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(data());
        ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
        return buf;
    }
    if (family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(data());
        // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; per-IP limits must count
        // them as the same client as a plain IPv4 connection.
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            ::inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, sizeof buf);
            return buf;
        }
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
        return buf;
    }
    return {};
}

std::string SocketAddress::networkString(unsigned ipv6PrefixLength) const {
    if (family() != AF_INET6 || ipv6PrefixLength >= 128) return ipString();
    in6_addr network = reinterpret_cast<const sockaddr_in6*>(data())->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&network)) return ipString();
    for (unsigned bit = ipv6PrefixLength; bit < 128; ++bit)
        network.s6_addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &network, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(ipv6PrefixLength);
}

std::string SocketAddress::toString() const {
    switch (family()) {
        case AF_INET:
            return ipString() + ":" + std::to_string(port());
        case AF_INET6: {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(data());
            char buf[INET6_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
            std::string text = std::string("[").append(buf);
            if (sin6->sin6_scope_id != 0)
                text.append("%").append(std::to_string(sin6->sin6_scope_id));
            return text + "]:" + std::to_string(port());
        }
        case AF_UNIX: {
            const auto* un = reinterpret_cast<const sockaddr_un*>(data());
            std::size_t max =
                len_ > offsetof(sockaddr_un, sun_path) ? len_ - offsetof(sockaddr_un, sun_path) : 0;
            std::string path(un->sun_path, strnlen(un->sun_path, max));
            return path.empty() ? "unix:(unnamed)" : "unix:" + path;
        }
        case AF_UNSPEC:
            return "(none)";
        default:
            return "(family " + std::to_string(family()) + ")";
    }
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
    if (a.family() != b.family()) return false;
    switch (a.family()) {
        case AF_UNSPEC:
            return true;
        case AF_INET: {
            const auto* x = reinterpret_cast<const sockaddr_in*>(a.data());
            const auto* y = reinterpret_cast<const sockaddr_in*>(b.data());
            return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        case AF_INET6: {
            const auto* x = reinterpret_cast<const sockaddr_in6*>(a.data());
            const auto* y = reinterpret_cast<const sockaddr_in6*>(b.data());
            return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
                   std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
        }
        default:
            return a.len_ == b.len_ && std::memcmp(a.data(), b.data(), a.len_) == 0;
    }
}

std::optional<std::vector<SocketAddress>> localhostAddresses(std::string_view host,
                                                             std::uint16_t port) {
    std::string lower(host);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "localhost" && !lower.ends_with(".localhost")) return std::nullopt;
    std::vector<SocketAddress> loopback;
    for (const char* ip : {"[::1]:0", "127.0.0.1:0"}) {
        auto address = SocketAddress::parse(ip);
        address->setPort(port);
        loopback.push_back(*address);
    }
    return loopback;
}

}  // namespace sockchat::net
