#include "sockchat/http/request.h"

#include <algorithm>
#include <cctype>

#include "sockchat/http/fetch_error.h"

namespace sockchat::http {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// RFC 9110 token characters: what a header name may consist of.
bool isTokenChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

[[noreturn]] void badHeader(std::string_view line, std::string_view why) {
    throw FetchError(FetchCode::failedInit,
                     "bad header \"" + std::string(line) + "\": " + std::string(why));
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

UserHeader parseUserHeader(std::string_view line) {
    if (line.find_first_of("\r\n") != std::string_view::npos)
        badHeader(line, "line breaks are not allowed");
    const auto colon = line.find(':');
    const auto semicolon = line.find(';');
    UserHeader header;
    if (colon != std::string_view::npos &&
        (semicolon == std::string_view::npos || colon < semicolon)) {
        header.name = std::string(trim(line.substr(0, colon)));
        header.value = std::string(trim(line.substr(colon + 1)));
        header.remove = header.value.empty();
    } else if (semicolon != std::string_view::npos && trim(line.substr(semicolon + 1)).empty()) {
        header.name = std::string(trim(line.substr(0, semicolon)));
    } else {
        badHeader(line, "expected \"Name: value\"");
    }
    if (header.name.empty() || !std::all_of(header.name.begin(), header.name.end(), isTokenChar))
        badHeader(line, "bad header name");
    return header;
}

std::string defaultUserAgent() {
    return std::string("sockfetch/") + SOCKCHAT_VERSION;
}

std::string buildRequest(std::string_view method, const Url& url,
                         const std::vector<UserHeader>& userHeaders) {
    const auto userSets = [&](std::string_view name) {
        return std::any_of(userHeaders.begin(), userHeaders.end(),
                           [&](const UserHeader& u) { return equalsIgnoreCase(u.name, name); });
    };
    // curl's order, so the same -H options give the same bytes on the wire: Host first (the
    // user's if given), then the defaults the user left alone, then the user's headers in the
    // order given. A user header of a default's name replaces or ("Name:") removes it.
    std::vector<HeaderField> headers;
    const auto userHost =
        std::find_if(userHeaders.begin(), userHeaders.end(),
                     [](const UserHeader& u) { return equalsIgnoreCase(u.name, "Host"); });
    if (userHost == userHeaders.end()) {
        headers.push_back({"Host", url.authority()});
    } else if (!userHost->remove) {
        headers.push_back({userHost->name, userHost->value});
    }
    for (HeaderField field : {HeaderField{"User-Agent", defaultUserAgent()},
                              HeaderField{"Accept", "*/*"}, HeaderField{"Connection", "close"}})
        if (!userSets(field.name)) headers.push_back(std::move(field));
    for (const auto& user : userHeaders)
        if (!user.remove && !equalsIgnoreCase(user.name, "Host"))
            headers.push_back({user.name, user.value});

    std::string out;
    out.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
    for (const auto& h : headers) {
        // "Name;" gives "Name:" with nothing after it, byte for byte what curl sends.
        out.append(h.name).append(":");
        if (!h.value.empty()) out.append(" ").append(h.value);
        out.append("\r\n");
    }
    out.append("\r\n");
    return out;
}

}  // namespace sockchat::http
