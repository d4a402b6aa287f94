#pragma once
// ResponseParser: an HTTP/1.x response read from a byte stream, framed by http-parser
// (Content-Length, chunked with trailers, or connection close; no body for HEAD, 1xx, 204 and
// 304). It hands out each head exactly as received (for -i and -v), the decoded body bytes
// and the raw trailer lines, as they arrive: nothing is buffered beyond one head.
#include <http_parser.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/http/request.h"

namespace sockchat::http {

struct ResponseHead {
    int status = 0;
    int versionMajor = 1;
    int versionMinor = 1;
    std::vector<HeaderField> headers;
    // Status line and header lines byte for byte as received, the ending blank line included.
    std::string raw;

    // The first header of that name (case-insensitive), or nullptr.
    const std::string* find(std::string_view name) const;
};

class ResponseHandler {
  public:
    virtual ~ResponseHandler() = default;
    // Every head, interim (1xx) ones included. Return false when the rest of the response is
    // not wanted (a redirect to follow, a --fail status): parsing then stops.
    virtual bool onHead(const ResponseHead& head) = 0;
    virtual void onBody(std::string_view data) = 0;
    // Trailer lines of a chunked body as received, without the blank line that ends them.
    // Not called when there are none.
    virtual void onTrailers(std::string_view raw) = 0;
};

class ResponseParser {
  public:
    // curl's limit on all the heads of one response (MAX_HTTP_RESP_HEADER_SIZE). http-parser
    // bounds each head, but not how many 1xx heads come before the final one: without this a
    // server sending "100 Continue" forever would hold a fetch without -m forever.
    static constexpr std::uint64_t kMaxResponseHeadBytes = 300 * 1024;

    // headRequest: the response to a HEAD has no body, whatever its headers announce.
    ResponseParser(bool headRequest, ResponseHandler& handler);
    ResponseParser(const ResponseParser&) = delete;
    ResponseParser& operator=(const ResponseParser&) = delete;

    // Feeds bytes read from the server. Throws FetchError weirdServerReply (8) for a response
    // that is not HTTP/1.x, recvError (56) once its heads, interim ones included, pass
    // kMaxResponseHeadBytes. Bytes after the end of the response are ignored.
    void feed(std::string_view data);
    // The server closed the connection: ends a close-delimited body, or throws FetchError
    // gotNothing (52) when nothing came, partialFile (18) when the body was cut short.
    void finish();

    // The final response is complete, or the handler stopped it.
    bool done() const { return phase_ == Phase::done; }
    std::uint64_t bodyBytes() const { return bodyBytes_; }
    // Content-Length of the final response, when it has one and is framed by it.
    std::optional<std::uint64_t> expectedBodyBytes() const { return expectedBody_; }

  private:
    enum class Phase { head, body, trailers, done };
    enum class Pause { none, headComplete, lastChunk, messageComplete };

    static int onMessageBegin(http_parser* parser);
    static int onHeaderField(http_parser* parser, const char* at, std::size_t length);
    static int onHeaderValue(http_parser* parser, const char* at, std::size_t length);
    static int onHeadersComplete(http_parser* parser);
    static int onBodyData(http_parser* parser, const char* at, std::size_t length);
    static int onChunkHeader(http_parser* parser);
    static int onMessageComplete(http_parser* parser);
    static const http_parser_settings& settings();

    // Runs http-parser over data until it pauses at one of the boundaries above or consumes
    // everything; returns how many bytes it consumed.
    std::size_t execute(std::string_view data);
    void afterPause(std::string_view rest, Phase phaseBefore);
    [[noreturn]] void throwParseError() const;
    // Runs a callback body; an exception is kept for execute() to rethrow, because it must not
    // unwind through http-parser's C frames. Returns the callback's result code.
    template <typename F>
    static int guarded(http_parser* parser, F&& body);

    http_parser parser_{};
    ResponseHandler& handler_;
    bool headRequest_;
    Phase phase_ = Phase::head;
    Pause pause_ = Pause::none;
    bool anyBytes_ = false;
    bool lastCallbackWasValue_ = false;
    ResponseHead head_;
    std::string raw_;  // head or trailer bytes seen so far
    std::uint64_t bodyBytes_ = 0;
    std::uint64_t headBytes_ = 0;  // all heads so far, interim ones included
    std::optional<std::uint64_t> expectedBody_;
    std::exception_ptr callbackError_;
};

}  // namespace sockchat::http
