#pragma once
// FetchError: every way a fetch can fail, as curl's exit code for the same situation plus one
// human line. Scripts written for curl test these numbers, so they are part of sockfetch's
// interface; the enum names follow libcurl's CURLE_* names so the mapping stays checkable.
#include <stdexcept>
#include <string>

namespace sockchat::http {

enum class FetchCode : int {
    ok = 0,
    unsupportedProtocol = 1,
    failedInit = 2,  // bad command line
    urlMalformat = 3,
    couldntResolveHost = 6,
    couldntConnect = 7,
    weirdServerReply = 8,
    partialFile = 18,
    httpReturnedError = 22,
    writeError = 23,
    operationTimedOut = 28,
    sslConnectError = 35,
    tooManyRedirects = 47,
    gotNothing = 52,
    sendError = 55,
    recvError = 56,
    peerFailedVerification = 60,
    sslCacertBadFile = 77,
};

class FetchError : public std::runtime_error {
  public:
    FetchError(FetchCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}

    FetchCode code() const noexcept { return code_; }
    int exitCode() const noexcept { return static_cast<int>(code_); }

  private:
    FetchCode code_;
};

}  // namespace sockchat::http
