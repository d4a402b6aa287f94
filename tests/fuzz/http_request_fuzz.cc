// Fuzz target for what sockfetch puts on the wire: a URL (from the command line or a redirect's
// Location) and -H lines become the request head. The property that matters is that nothing a
// user or a server supplies can inject a line: whatever the input, the request is
//   METHOD SP target SP "HTTP/1.1" CRLF, then header lines "Name:[ value]" CRLF, then CRLF,
// with no other CR or LF anywhere, a target free of spaces and controls, header names that are
// RFC 9110 tokens, a Host line equal to the URL's authority unless -H replaced it, and exactly
// the header lines the -H rules (request.h) call for. parseUrl and parseUserHeader may reject
// input (FetchError); they must not crash or let it through half-checked.
//
// Input (FuzzedDataProvider): HEAD or GET, the URL, up to 8 -H lines, then a redirect reference
// resolved against the URL (resolveReference + parseUrl, as Fetcher does) and checked the same.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/request.h"
#include "sockchat/http/url.h"

namespace {

using sockchat::http::equalsIgnoreCase;
using sockchat::http::UserHeader;

void require(bool ok) {
    if (!ok) std::abort();
}

bool isTokenChar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool hasSpaceOrControl(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c <= 0x20 || c == 0x7F;
    });
}

bool hasLineBreak(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

// The header lines buildRequest must send, by request.h's rules, as "Name: value" or "Name:".
std::vector<std::string> expectedHeaders(const sockchat::http::Url& url,
                                         const std::vector<UserHeader>& user) {
    const auto line = [](std::string_view name, std::string_view value) {
        std::string out(name);
        out += ':';
        if (!value.empty()) out.append(" ").append(value);
        return out;
    };
    const auto userSets = [&](std::string_view name) {
        return std::any_of(user.begin(), user.end(),
                           [&](const UserHeader& u) { return equalsIgnoreCase(u.name, name); });
    };
    std::vector<std::string> out;
    const auto host = std::find_if(user.begin(), user.end(), [](const UserHeader& u) {
        return equalsIgnoreCase(u.name, "Host");
    });
    if (host == user.end())
        out.push_back(line("Host", url.authority()));
    else if (!host->remove)
        out.push_back(line(host->name, host->value));
    if (!userSets("User-Agent"))
        out.push_back(line("User-Agent", sockchat::http::defaultUserAgent()));
    if (!userSets("Accept")) out.push_back(line("Accept", "*/*"));
    if (!userSets("Connection")) out.push_back(line("Connection", "close"));
    for (const auto& u : user)
        if (!u.remove && !equalsIgnoreCase(u.name, "Host")) out.push_back(line(u.name, u.value));
    return out;
}

void checkRequest(std::string_view method, const sockchat::http::Url& url,
                  const std::vector<UserHeader>& user) {
    require(!url.target.empty() && !hasSpaceOrControl(url.target));
    require(!hasSpaceOrControl(url.authority()));
    const std::string request = sockchat::http::buildRequest(method, url, user);

    // Cut at CRLF only; any CR or LF left inside a line is an injection.
    std::vector<std::string_view> lines;
    std::string_view rest = request;
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        require(end != std::string_view::npos);  // the request ends with CRLF
        lines.push_back(rest.substr(0, end));
        rest.remove_prefix(end + 2);
    }
    for (const auto l : lines) require(!hasLineBreak(l));
    require(lines.size() >= 2 && lines.back().empty());
    lines.pop_back();

    require(lines.front() == std::string(method) + " " + url.target + " HTTP/1.1");
    const std::vector<std::string> expected = expectedHeaders(url, user);
    require(lines.size() == expected.size() + 1);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const std::string_view l = lines[i + 1];
        require(l == expected[i]);
        const auto colon = l.find(':');
        require(colon != std::string_view::npos && colon > 0);
        require(
            std::all_of(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(colon), isTokenChar));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string_view method = in.ConsumeBool() ? "HEAD" : "GET";
    const std::string urlText = in.ConsumeRandomLengthString(512);
    std::vector<UserHeader> headers;
    const int count = in.ConsumeIntegralInRange(0, 8);
    for (int i = 0; i < count; ++i) {
        const std::string line = in.ConsumeRandomLengthString(256);
        try {
            UserHeader header = sockchat::http::parseUserHeader(line);
            // What parseUserHeader accepts must be safe to send as it is.
            require(!header.name.empty() &&
                    std::all_of(header.name.begin(), header.name.end(), isTokenChar));
            require(!hasLineBreak(header.value));
            headers.push_back(std::move(header));
        } catch (const sockchat::http::FetchError&) {
            // Rejecting a line is always allowed (sockfetch then exits 2).
        }
    }
    const std::string reference = in.ConsumeRemainingBytesAsString();

    sockchat::http::Url url;
    try {
        url = sockchat::http::parseUrl(urlText);
    } catch (const sockchat::http::FetchError&) {
        return 0;
    }
    require(!hasSpaceOrControl(urlText));  // parseUrl rejects spaces and controls
    checkRequest(method, url, headers);

    try {
        const auto next =
            sockchat::http::parseUrl(sockchat::http::resolveReference(url, reference));
        checkRequest(method, next, headers);
    } catch (const sockchat::http::FetchError&) {
    }
    return 0;
}
