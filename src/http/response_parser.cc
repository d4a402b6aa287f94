#include "sockchat/http/response_parser.h"

#include <climits>
#include <string>
#include <utility>

#include "sockchat/http/fetch_error.h"

// How this drives http-parser: the parser pauses itself (http_parser_pause) at each boundary
// we need a byte position for: end of a head, the last chunk, end of a message. On a pause
// http_parser_execute returns how far it got, which is what lets heads and trailers be
// handed out byte for byte as received, including line endings and spacing that callbacks
// alone do not reproduce.

namespace sockchat::http {
namespace {

ResponseParser& self(http_parser* parser) {
    return *static_cast<ResponseParser*>(parser->data);
}

bool isInterim(int status) {
    return status >= 100 && status < 200 && status != 101;
}

// Strips the blank line that ends a trailer block ("X: 1\r\n\r\n" → "X: 1\r\n").
std::string_view withoutFinalBlankLine(std::string_view raw) {
    if (raw.ends_with("\r\n")) {
        raw.remove_suffix(2);
    } else if (raw.ends_with("\n")) {
        raw.remove_suffix(1);
    }
    return raw;
}

// Transfer-Encoding other than exactly one "chunked" (a coding after it, chunked twice,
// identity, gzip...): sockfetch decodes chunked only, so such a body would be passed on with its
// framing or coding as if it were the content. Refused as a weird reply (8), like the
// conflicting Content-Length headers http-parser refuses. Every Transfer-Encoding header counts,
// as one list (RFC 9110 section 5.3), which is how a second "identity" header is caught.
// parserChunked: http-parser's own reading, which frames the body; both must agree on chunked.
void checkTransferEncoding(const ResponseHead& head, bool parserChunked) {
    std::optional<std::string> all;
    for (const auto& h : head.headers) {
        if (!equalsIgnoreCase(h.name, "Transfer-Encoding")) continue;
        all = all ? *all + ", " + h.value : h.value;
    }
    if (!all) return;
    std::vector<std::string_view> codings;
    for (std::string_view rest = *all; !rest.empty();) {
        const auto comma = rest.find(',');
        std::string_view coding = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
            coding.remove_prefix(1);
        while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
            coding.remove_suffix(1);
        if (!coding.empty()) codings.push_back(coding);  // empty list elements do not count
    }
    if (codings.size() == 1 && equalsIgnoreCase(codings.front(), "chunked") && parserChunked)
        return;
    throw FetchError(FetchCode::weirdServerReply,
                     "Weird server reply: unsupported Transfer-Encoding \"" + *all +
                         "\": chunked must be the only coding");
}

}  // namespace

template <typename F>
int ResponseParser::guarded(http_parser* parser, F&& body) {
    auto& p = self(parser);
    try {
        body(p);
        return 0;
    } catch (...) {
        p.callbackError_ = std::current_exception();
        return -1;  // http-parser stops with an HPE_CB_* error; execute() rethrows ours
    }
}

const std::string* ResponseHead::find(std::string_view name) const {
    for (const auto& h : headers)
        if (equalsIgnoreCase(h.name, name)) return &h.value;
    return nullptr;
}

const http_parser_settings& ResponseParser::settings() {
    static const http_parser_settings kSettings = [] {
        http_parser_settings s{};
        s.on_message_begin = &ResponseParser::onMessageBegin;
        s.on_header_field = &ResponseParser::onHeaderField;
        s.on_header_value = &ResponseParser::onHeaderValue;
        s.on_headers_complete = &ResponseParser::onHeadersComplete;
        s.on_body = &ResponseParser::onBodyData;
        s.on_chunk_header = &ResponseParser::onChunkHeader;
        s.on_message_complete = &ResponseParser::onMessageComplete;
        return s;
    }();
    return kSettings;
}

ResponseParser::ResponseParser(bool headRequest, ResponseHandler& handler)
    : handler_(handler), headRequest_(headRequest) {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
}

int ResponseParser::onMessageBegin(http_parser* parser) {
    return guarded(parser, [](ResponseParser& p) {
        p.head_ = ResponseHead{};
        p.lastCallbackWasValue_ = false;
    });
}

int ResponseParser::onHeaderField(http_parser* parser, const char* at, std::size_t length) {
    return guarded(parser, [&](ResponseParser& p) {
        if (p.phase_ != Phase::head) return;  // trailer fields: passed on raw only
        // A name can arrive in pieces (split across reads); a new one starts after a value.
        if (p.lastCallbackWasValue_ || p.head_.headers.empty()) p.head_.headers.push_back({});
        p.head_.headers.back().name.append(at, length);
        p.lastCallbackWasValue_ = false;
    });
}

int ResponseParser::onHeaderValue(http_parser* parser, const char* at, std::size_t length) {
    return guarded(parser, [&](ResponseParser& p) {
        if (p.phase_ != Phase::head || p.head_.headers.empty()) return;
        p.head_.headers.back().value.append(at, length);
        p.lastCallbackWasValue_ = true;
    });
}

int ResponseParser::onHeadersComplete(http_parser* parser) {
    auto& p = self(parser);
    p.head_.status = parser->status_code;
    p.head_.versionMajor = parser->http_major;
    p.head_.versionMinor = parser->http_minor;
    p.pause_ = Pause::headComplete;
    http_parser_pause(parser, 1);
    const int status = parser->status_code;
    // 1 = "this message has no body": for HEAD, 1xx, 204 and 304 whatever the headers say
    // (RFC 9112 section 6.3), so a stray Content-Length there cannot make us wait for bytes.
    const bool noBody = p.headRequest_ || isInterim(status) || status == 204 || status == 304;
    if (noBody) return 1;
    // Checked only when a body follows: a HEAD response's Transfer-Encoding frames nothing.
    const bool chunked = parser->flags & F_CHUNKED;
    if (const int failed =
            guarded(parser, [&](ResponseParser& q) { checkTransferEncoding(q.head_, chunked); }))
        return failed;
    if (!chunked && parser->content_length != ULLONG_MAX) p.expectedBody_ = parser->content_length;
    return 0;
}

int ResponseParser::onBodyData(http_parser* parser, const char* at, std::size_t length) {
    return guarded(parser, [&](ResponseParser& p) {
        if (p.phase_ != Phase::body) return;
        p.bodyBytes_ += length;
        p.handler_.onBody(std::string_view(at, length));
    });
}

int ResponseParser::onChunkHeader(http_parser* parser) {
    // The zero-size chunk: what follows up to the end of the message is the trailer block.
    if (parser->content_length == 0) {
        self(parser).pause_ = Pause::lastChunk;
        http_parser_pause(parser, 1);
    }
    return 0;
}

int ResponseParser::onMessageComplete(http_parser* parser) {
    self(parser).pause_ = Pause::messageComplete;
    http_parser_pause(parser, 1);
    return 0;
}

void ResponseParser::throwParseError() const {
    const auto error = HTTP_PARSER_ERRNO(&parser_);
    // http-parser reports a chunk size too large for 64 bits with its Content-Length error,
    // whose description would blame a header the response may not even have.
    if (error == HPE_INVALID_CONTENT_LENGTH && phase_ != Phase::head && (parser_.flags & F_CHUNKED))
        throw FetchError(FetchCode::weirdServerReply, "Weird server reply: chunk size too large");
    throw FetchError(FetchCode::weirdServerReply,
                     std::string("Weird server reply: ") + http_errno_description(error));
}

std::size_t ResponseParser::execute(std::string_view data) {
    const Phase phaseBefore = phase_;
    pause_ = Pause::none;
    const std::size_t consumed =
        http_parser_execute(&parser_, &settings(), data.data(), data.size());
    // At most one boundary is crossed per call (the parser pauses there), so everything
    // consumed belongs to the phase we started in.
    if (phaseBefore == Phase::head || phaseBefore == Phase::trailers)
        raw_.append(data.substr(0, consumed));
    if (callbackError_) std::rethrow_exception(std::exchange(callbackError_, nullptr));
    const auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error == HPE_PAUSED) {
        http_parser_pause(&parser_, 0);
        afterPause(data.substr(consumed), phaseBefore);
    } else if (error != HPE_OK) {
        throwParseError();
    }
    return consumed;
}

void ResponseParser::afterPause(std::string_view rest, Phase phaseBefore) {
    switch (pause_) {
        case Pause::headComplete: {
            // The parser stops on the head's final LF without consuming it; it is part of the
            // head we hand out and is consumed by the next execute (in the body phase).
            if (!rest.empty() && rest.front() == '\n') raw_ += '\n';
            head_.raw = std::move(raw_);
            raw_.clear();
            headBytes_ += head_.raw.size();
            if (headBytes_ > kMaxResponseHeadBytes)
                throw FetchError(FetchCode::recvError,
                                 "Too large response headers: " + std::to_string(headBytes_) +
                                     " > " + std::to_string(kMaxResponseHeadBytes));
            phase_ = Phase::body;
            if (!handler_.onHead(head_)) phase_ = Phase::done;
            break;
        }
        case Pause::lastChunk:
            raw_.clear();
            phase_ = Phase::trailers;
            break;
        case Pause::messageComplete:
            if (phaseBefore == Phase::trailers) {
                const auto trailers = withoutFinalBlankLine(raw_);
                if (!trailers.empty()) handler_.onTrailers(trailers);
            }
            raw_.clear();
            if (isInterim(head_.status)) {
                phase_ = Phase::head;  // the real response follows
                expectedBody_.reset();
            } else {
                phase_ = Phase::done;
            }
            break;
        case Pause::none:
            break;
    }
}

void ResponseParser::feed(std::string_view data) {
    if (!data.empty()) anyBytes_ = true;
    while (!data.empty() && phase_ != Phase::done) data.remove_prefix(execute(data));
}

void ResponseParser::finish() {
    if (phase_ == Phase::done) return;
    if (!anyBytes_) throw FetchError(FetchCode::gotNothing, "Empty reply from server");
    if (phase_ == Phase::head) {
        throw FetchError(FetchCode::weirdServerReply,
                         "Connection closed before the response head was complete");
    }
    // A zero-length execute tells http-parser about EOF: it completes a close-delimited body
    // and reports an error for anything else left unfinished.
    pause_ = Pause::none;
    http_parser_execute(&parser_, &settings(), nullptr, 0);
    if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) {
        http_parser_pause(&parser_, 0);
        afterPause({}, phase_);
    }
    if (phase_ == Phase::done) return;
    if (expectedBody_ && phase_ == Phase::body) {
        throw FetchError(FetchCode::partialFile, "transfer closed with " +
                                                     std::to_string(*expectedBody_ - bodyBytes_) +
                                                     " bytes remaining to read");
    }
    throw FetchError(FetchCode::partialFile,
                     "transfer closed with outstanding read data remaining");
}

}  // namespace sockchat::http
