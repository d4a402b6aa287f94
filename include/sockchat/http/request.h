#pragma once
// The request head sockfetch sends: method, target, default headers and the user's -H lines,
// with curl's rules for how a -H line replaces or removes a default header.
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/http/url.h"

namespace sockchat::http {

struct HeaderField {
    std::string name;
    std::string value;
};

// One -H argument, parsed the way curl reads it:
//   "Name: value" sets (or replaces the default of) Name;
//   "Name:"       removes the default header Name and sends nothing;
//   "Name;"       sends Name with an empty value.
struct UserHeader {
    std::string name;
    std::string value;
    bool remove = false;  // "Name:" form
};

// Throws FetchError failedInit (2) for a line with no ':' or ';', an empty name, or a CR/LF
// (which would let the header inject further header lines).
UserHeader parseUserHeader(std::string_view line);

std::string defaultUserAgent();  // "sockfetch/<version>"

// "GET /path HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n". Defaults, in this order: Host (with the
// port when not the scheme's default), User-Agent, Accept: */*, Connection: close. A user
// header with a default's name (case-insensitive) replaces that default; "Name:" removes it.
// Order as curl's: Host, the remaining defaults, then the user's headers as given.
std::string buildRequest(std::string_view method, const Url& url,
                         const std::vector<UserHeader>& userHeaders);

bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace sockchat::http
