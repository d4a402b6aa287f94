#pragma once
// Fetcher: one sockfetch run. Resolves, connects (TCP, then TLS for https), sends the request,
// streams the response to the Output, and follows redirects with -L, all within the --max-time
// and --connect-timeout deadlines. Every failure is a FetchError carrying curl's exit code.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/http/deadline.h"
#include "sockchat/http/output.h"
#include "sockchat/http/request.h"
#include "sockchat/http/tls_transport.h"
#include "sockchat/http/trace.h"
#include "sockchat/http/url.h"

namespace sockchat::http {

struct FetchOptions {
    bool headOnly = false;                 // -I: HEAD, print the head(s) only
    bool includeHeaders = false;           // -i: heads before the body
    bool followRedirects = false;          // -L
    long maxRedirects = 50;                // --max-redirs; -1 = no limit (curl's values)
    bool failOnHttpError = false;          // --fail: status >= 400 → no body, exit 22
    std::optional<double> connectTimeout;  // seconds, per connection (resolve+TCP+TLS)
    std::optional<double> maxTime;         // seconds, whole run
    std::vector<UserHeader> headers;
    TlsOptions tls;
};

// curl's connect timeout when none is given: a connection attempt never waits forever.
inline constexpr double kDefaultConnectTimeoutSeconds = 300;

class Fetcher {
  public:
    Fetcher(FetchOptions options, Output& output, const Trace& trace);
    // Throws FetchError; returns normally when the final response was delivered.
    void run(std::string_view url);

  private:
    struct Outcome {
        std::optional<std::string> redirectTo;  // Location of a redirect to follow
    };

    Outcome fetchOnce(const Url& url);
    std::unique_ptr<Transport> open(const Url& url);
    const tls::ClientContext& tlsContext();
    long long elapsedMs() const;
    [[noreturn]] void throwTransferTimeout(std::uint64_t received,
                                           std::optional<std::uint64_t> expected) const;

    FetchOptions options_;
    Output& output_;
    const Trace& trace_;
    Deadline::Clock::time_point started_;
    Deadline overall_;
    std::optional<tls::ClientContext> tls_;  // made on the first https connection
};

}  // namespace sockchat::http
