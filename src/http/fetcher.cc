#include "sockchat/http/fetcher.h"

#include <array>
#include <memory>

#include "sockchat/http/connector.h"
#include "sockchat/http/fetch_error.h"
#include "sockchat/http/response_parser.h"
#include "sockchat/http/transport.h"

namespace sockchat::http {
namespace {

bool isFollowableRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool sameOrigin(const Url& a, const Url& b) {
    return a.scheme == b.scheme && equalsIgnoreCase(a.host, b.host) && a.port == b.port;
}

// Credentials the user gave for one host must not leak to another one a redirect points at
// (curl drops them too unless --location-trusted, which sockfetch does not offer).
void dropCredentials(std::vector<UserHeader>& headers) {
    std::erase_if(headers, [](const UserHeader& h) {
        return equalsIgnoreCase(h.name, "Authorization") || equalsIgnoreCase(h.name, "Cookie");
    });
}

// Routes one response's pieces to the output and remembers what the fetcher decides on.
class Delivery final : public ResponseHandler {
  public:
    Delivery(const FetchOptions& options, Output& output, const Trace& trace)
        : options_(options), output_(output), trace_(trace) {}

    bool onHead(const ResponseHead& head) override {
        trace_.responseHead(head.raw);
        if (options_.includeHeaders || options_.headOnly) output_.write(head.raw);
        if (head.status >= 100 && head.status < 200 && head.status != 101) return true;
        status_ = head.status;
        if (options_.followRedirects && isFollowableRedirect(head.status)) {
            if (const auto* location = head.find("Location")) {
                redirectTo_ = *location;
                return false;  // the redirect's own body is not wanted
            }
        }
        if (options_.failOnHttpError && head.status >= 400) return false;
        return true;
    }

    void onBody(std::string_view data) override { output_.write(data); }

    void onTrailers(std::string_view raw) override {
        trace_.responseHead(raw);
        if (options_.includeHeaders) output_.write(raw);
    }

    int status() const { return status_; }
    const std::optional<std::string>& redirectTo() const { return redirectTo_; }

  private:
    const FetchOptions& options_;
    Output& output_;
    const Trace& trace_;
    int status_ = 0;
    std::optional<std::string> redirectTo_;
};

}  // namespace

Fetcher::Fetcher(FetchOptions options, Output& output, const Trace& trace)
    : options_(std::move(options)), output_(output), trace_(trace) {}

long long Fetcher::elapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - started_)
        .count();
}

void Fetcher::throwTransferTimeout(std::uint64_t received,
                                   std::optional<std::uint64_t> expected) const {
    std::string message = "Operation timed out after " + std::to_string(elapsedMs()) +
                          " milliseconds with " + std::to_string(received);
    if (expected) message += " out of " + std::to_string(*expected);
    message += " bytes received";
    throw FetchError(FetchCode::operationTimedOut, message);
}

const tls::ClientContext& Fetcher::tlsContext() {
    if (!tls_) tls_.emplace(makeTlsContext(options_.tls));
    return *tls_;
}

std::unique_ptr<Transport> Fetcher::open(const Url& url) {
    const Deadline connectDeadline = Deadline::earliest(
        overall_, Deadline::after(std::chrono::duration<double>(
                      options_.connectTimeout.value_or(kDefaultConnectTimeoutSeconds))));
    const auto addresses = resolveHost(url.host, url.port, connectDeadline);
    Connected connected =
        connectToHost(url.host, url.port, addresses, connectDeadline, started_, trace_);
    if (url.scheme == "https")
        return std::make_unique<TlsTransport>(tlsContext(), std::move(connected.socket), url.host,
                                              url.port, connectDeadline, trace_);
    return std::make_unique<PlainTransport>(std::move(connected.socket));
}

Fetcher::Outcome Fetcher::fetchOnce(const Url& url) {
    // -m covers the whole run: a redirect chain that used it up stops here, before a new
    // connection, rather than in whichever later step happens to wait first.
    if (overall_.expired()) throwTransferTimeout(0, std::nullopt);
    const std::string_view method = options_.headOnly ? "HEAD" : "GET";
    std::unique_ptr<Transport> transport = open(url);

    const std::string request = buildRequest(method, url, options_.headers);
    trace_.requestHead(request);
    if (transport->writeAll(request, overall_) == IoStatus::timedOut)
        throwTransferTimeout(0, std::nullopt);

    Delivery delivery(options_, output_, trace_);
    ResponseParser parser(options_.headOnly, delivery);
    std::array<char, 64 * 1024> buffer;
    while (!parser.done()) {
        // A read only meets the deadline when it has to wait; a server that always has bytes
        // ready (an endless body, faster than we can write it) would never let it expire there.
        const ReadResult got = overall_.expired() ? ReadResult{IoStatus::timedOut, 0}
                                                  : transport->read(buffer, overall_);
        if (got.status == IoStatus::timedOut)
            throwTransferTimeout(parser.bodyBytes(), parser.expectedBodyBytes());
        if (got.status == IoStatus::eof) {
            parser.finish();
            break;
        }
        parser.feed(std::string_view(buffer.data(), got.bytes));
    }
    if (delivery.redirectTo()) return {delivery.redirectTo()};
    if (options_.failOnHttpError && delivery.status() >= 400)
        throw FetchError(FetchCode::httpReturnedError,
                         "The requested URL returned error: " + std::to_string(delivery.status()));
    return {};
}

void Fetcher::run(std::string_view text) {
    started_ = Deadline::Clock::now();
    if (options_.maxTime)
        overall_ = Deadline::after(std::chrono::duration<double>(*options_.maxTime));
    Url url = parseUrl(text);
    long redirects = 0;
    for (;;) {
        const Outcome outcome = fetchOnce(url);
        if (!outcome.redirectTo) break;
        if (options_.maxRedirects >= 0 && redirects >= options_.maxRedirects)
            throw FetchError(
                FetchCode::tooManyRedirects,
                "Maximum (" + std::to_string(options_.maxRedirects) + ") redirects followed");
        // The method stays: 303 turns other methods into GET (HEAD stays HEAD, as in curl),
        // and sockfetch only ever sends GET or HEAD.
        ++redirects;
        const std::string next = resolveReference(url, *outcome.redirectTo);
        trace_.info("Issue another request to this URL: '" + next + "'");
        Url nextUrl = parseUrl(next);
        if (!sameOrigin(url, nextUrl)) dropCredentials(options_.headers);
        url = std::move(nextUrl);
    }
    output_.finish();
}

}  // namespace sockchat::http
