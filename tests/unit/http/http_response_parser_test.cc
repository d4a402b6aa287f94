#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/response_parser.h"

namespace sockchat::http {
namespace {

using namespace std::string_literals;

struct Recorded {
    std::vector<ResponseHead> heads;
    std::string body;
    std::vector<std::string> trailers;
    bool done = false;
    std::optional<FetchCode> error;
    std::string errorText;

    bool operator==(const Recorded& o) const {
        if (heads.size() != o.heads.size()) return false;
        for (std::size_t i = 0; i < heads.size(); ++i)
            if (heads[i].raw != o.heads[i].raw || heads[i].status != o.heads[i].status)
                return false;
        return body == o.body && trailers == o.trailers && done == o.done && error == o.error;
    }
};

class Recorder : public ResponseHandler {
  public:
    explicit Recorder(Recorded& r, int stopAtStatus = 0) : r_(r), stopAt_(stopAtStatus) {}
    bool onHead(const ResponseHead& head) override {
        r_.heads.push_back(head);
        return head.status != stopAt_;
    }
    void onBody(std::string_view data) override { r_.body.append(data); }
    void onTrailers(std::string_view raw) override { r_.trailers.emplace_back(raw); }

  private:
    Recorded& r_;
    int stopAt_;
};

// Feeds the bytes in pieces of the given sizes (cycled), then signals EOF if asked.
Recorded parse(const std::string& bytes, std::vector<std::size_t> pieces, bool eof = true,
               bool head = false, int stopAt = 0) {
    Recorded r;
    Recorder recorder(r, stopAt);
    ResponseParser parser(head, recorder);
    try {
        std::size_t pos = 0;
        for (std::size_t i = 0; pos < bytes.size() && !parser.done(); ++i) {
            const std::size_t n = std::min(pieces[i % pieces.size()], bytes.size() - pos);
            parser.feed(std::string_view(bytes).substr(pos, n));
            pos += n;
        }
        if (eof && !parser.done()) parser.finish();
    } catch (const FetchError& e) {
        r.error = e.code();
        r.errorText = e.what();
    }
    r.done = parser.done();
    return r;
}

// The same response, however the network splits it, must give the same result.
Recorded parseEverySplit(const std::string& bytes, bool eof = true, bool head = false) {
    const Recorded whole = parse(bytes, {bytes.size() + 1}, eof, head);
    EXPECT_EQ(parse(bytes, {1}, eof, head), whole) << "byte by byte";
    EXPECT_EQ(parse(bytes, {2, 3, 5, 7}, eof, head), whole) << "small pieces";
    std::mt19937 rng(42);
    for (int i = 0; i < 20; ++i) {
        std::vector<std::size_t> pieces;
        for (int j = 0; j < 8; ++j) pieces.push_back(1 + rng() % 40);
        EXPECT_EQ(parse(bytes, pieces, eof, head), whole) << "random split " << i;
    }
    return whole;
}

TEST(HttpResponseParser, ContentLengthBodyIsBinarySafe) {
    const std::string body = "a\0b\r\n\r\n\xff\xfe"s;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: x/y\r\nContent-Length: 9\r\n\r\n";
    const Recorded r = parseEverySplit(head + body + "trailing junk ignored", false);
    ASSERT_EQ(r.heads.size(), 1u);
    EXPECT_EQ(r.heads[0].raw, head);
    EXPECT_EQ(r.heads[0].status, 200);
    ASSERT_NE(r.heads[0].find("content-type"), nullptr);
    EXPECT_EQ(*r.heads[0].find("content-type"), "x/y");
    EXPECT_EQ(r.body, body);
    EXPECT_TRUE(r.done);
    EXPECT_FALSE(r.error);
}

TEST(HttpResponseParser, ChunkedWithExtensionsAndTrailers) {
    const std::string head =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n";
    const std::string wire = head +
                             "5;ext=1\r\nhello\r\n6\r\n\r\n\r\nab\r\n0\r\nX-Sum: 12\r\n"
                             "X-More:  two \r\n\r\n";
    const Recorded r = parseEverySplit(wire, false);
    ASSERT_EQ(r.heads.size(), 1u);
    EXPECT_EQ(r.heads[0].raw, head);
    EXPECT_EQ(r.body, "hello\r\n\r\nab");
    ASSERT_EQ(r.trailers.size(), 1u);
    EXPECT_EQ(r.trailers[0], "X-Sum: 12\r\nX-More:  two \r\n");
    EXPECT_TRUE(r.done);
}

TEST(HttpResponseParser, ChunkedWithoutTrailersReportsNone) {
    const Recorded r = parseEverySplit(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false);
    EXPECT_EQ(r.body, "abc");
    EXPECT_TRUE(r.trailers.empty());
    EXPECT_TRUE(r.done);
}

TEST(HttpResponseParser, CloseDelimitedBodyEndsAtEof) {
    const Recorded r = parseEverySplit("HTTP/1.1 200 OK\r\nX: y\r\n\r\nall of\r\n\r\nthis");
    EXPECT_EQ(r.body, "all of\r\n\r\nthis");
    EXPECT_TRUE(r.done);
    EXPECT_FALSE(r.error);
}

TEST(HttpResponseParser, InterimResponsesAreHandedOutThenSkipped) {
    const std::string interim =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n";
    const std::string final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    const Recorded r = parseEverySplit(interim + final + "ok", false);
    ASSERT_EQ(r.heads.size(), 3u);
    EXPECT_EQ(r.heads[0].raw, "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_EQ(r.heads[1].status, 103);
    EXPECT_EQ(r.heads[2].raw, final);
    EXPECT_EQ(r.body, "ok");
    EXPECT_TRUE(r.done);
}

TEST(HttpResponseParser, InterimHeadsCountTowardsCurlsHeadLimit) {
    // 1xx heads without end would otherwise be read for as long as the server sends them.
    const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";  // 25 bytes
    const std::size_t fit = ResponseParser::kMaxResponseHeadBytes / interim.size();
    std::string wire;
    for (std::size_t i = 0; i <= fit; ++i) wire += interim;
    const Recorded r = parse(wire + "HTTP/1.1 200 OK\r\n\r\n", {64 * 1024});
    EXPECT_EQ(r.error, FetchCode::recvError);
    EXPECT_EQ(r.errorText, "Too large response headers: 307225 > 307200");  // curl's wording
    EXPECT_EQ(r.heads.size(), fit);  // the head that passes the limit is not handed out
    // Heads adding up to exactly the limit are still fine (X pads the final head to it).
    std::string atLimit;
    for (std::size_t i = 0; i + 2 < fit; ++i) atLimit += interim;
    const std::string finalStart = "HTTP/1.1 200 OK\r\nX: ",
                      finalEnd = "\r\nContent-Length: 2\r\n\r\n";
    atLimit += finalStart +
               std::string(ResponseParser::kMaxResponseHeadBytes - atLimit.size() -
                               finalStart.size() - finalEnd.size(),
                           'x') +
               finalEnd;
    ASSERT_EQ(atLimit.size(), ResponseParser::kMaxResponseHeadBytes);
    const Recorded ok = parse(atLimit + "ok", {64 * 1024});
    EXPECT_FALSE(ok.error) << ok.errorText;
    EXPECT_EQ(ok.body, "ok");
}

TEST(HttpResponseParser, NoBodyFor204And304WhateverTheHeadersSay) {
    for (const char* status : {"204 No Content", "304 Not Modified"}) {
        const Recorded r =
            parseEverySplit("HTTP/1.1 "s + status + "\r\nContent-Length: 5\r\n\r\n", false);
        EXPECT_TRUE(r.done) << status;
        EXPECT_EQ(r.body, "") << status;
    }
}

TEST(HttpResponseParser, NoBodyForHead) {
    const Recorded r = parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false,
                                       /*head=*/true);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.body, "");
    const Recorded chunked = parseEverySplit(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, /*head=*/true);
    EXPECT_TRUE(chunked.done);
}

TEST(HttpResponseParser, BareLfLineEndingsAreKeptInTheRawHead) {
    const Recorded r = parseEverySplit("HTTP/1.0 200 OK\nContent-Length: 2\n\nhi", false);
    ASSERT_EQ(r.heads.size(), 1u);
    EXPECT_EQ(r.heads[0].raw, "HTTP/1.0 200 OK\nContent-Length: 2\n\n");
    EXPECT_EQ(r.heads[0].versionMinor, 0);
    EXPECT_EQ(r.body, "hi");
}

TEST(HttpResponseParser, HandlerCanStopAfterTheHead) {
    const Recorded r = parse("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 4\r\n\r\nbody",
                             {3}, true, false, /*stopAt=*/302);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.body, "");
    ASSERT_EQ(r.heads.size(), 1u);
    EXPECT_EQ(*r.heads[0].find("Location"), "/x");
}

TEST(HttpResponseParser, NothingAtAllIsAnEmptyReply) {
    const Recorded r = parse("", {1});
    EXPECT_EQ(r.error, FetchCode::gotNothing);
}

TEST(HttpResponseParser, ShortContentLengthBodyIsPartial) {
    const Recorded r = parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde");
    EXPECT_EQ(r.error, FetchCode::partialFile);
    EXPECT_EQ(r.body, "abcde");
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde", {100}).errorText,
              "transfer closed with 5 bytes remaining to read");
}

TEST(HttpResponseParser, TruncatedChunkedBodyIsPartial) {
    EXPECT_EQ(
        parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc").error,
        FetchCode::partialFile);
    // Cut inside the trailers is still a partial transfer.
    EXPECT_EQ(
        parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n").error,
        FetchCode::partialFile);
}

TEST(HttpResponseParser, CutHeadIsAWeirdReply) {
    EXPECT_EQ(parseEverySplit("HTTP/1.1 200 OK\r\nContent-").error, FetchCode::weirdServerReply);
}

TEST(HttpResponseParser, GarbageIsAWeirdReply) {
    EXPECT_EQ(parseEverySplit("SSH-2.0-OpenSSH_9.2\r\n").error, FetchCode::weirdServerReply);
    EXPECT_EQ(parseEverySplit("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n").error,
              FetchCode::weirdServerReply);
    EXPECT_EQ(parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").error,
              FetchCode::weirdServerReply);
}

TEST(HttpResponseParser, TransferEncodingOtherThanChunkedAloneIsAWeirdReply) {
    // sockfetch decodes chunked and nothing else: any other list would hand out the framing or
    // the coding as the body. Several headers form one list, as RFC 9110 section 5.3 says.
    struct Case {
        std::string headers;
        std::string list;  // as the message quotes it
    };
    for (const auto& c : std::vector<Case>{
             {"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "chunked, identity"},
             {"Transfer-Encoding: chunked, identity\r\n", "chunked, identity"},
             {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "chunked, chunked"},
             {"Transfer-Encoding: gzip, chunked\r\n", "gzip, chunked"},
             {"Transfer-Encoding: identity\r\n", "identity"},
             {"Transfer-Encoding: x-unknown\r\n", "x-unknown"},
             {"Transfer-Encoding: chunked,\r\n", "chunked,"},
         }) {
        const std::string wire = "HTTP/1.1 200 OK\r\n" + c.headers + "\r\n5\r\nhello\r\n0\r\n\r\n";
        const Recorded r = parseEverySplit(wire);
        EXPECT_EQ(r.error, FetchCode::weirdServerReply) << c.headers;
        EXPECT_EQ(r.errorText, "Weird server reply: unsupported Transfer-Encoding \"" + c.list +
                                   "\": chunked must be the only coding")
            << c.headers;
        EXPECT_EQ(r.body, "") << c.headers;
        EXPECT_TRUE(r.heads.empty()) << "refused before the head is handed out: " << c.headers;
    }
    // Spelling and spacing do not matter for chunked alone.
    EXPECT_EQ(parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding:  CHUNKED \r\n\r\n"
                              "2\r\nok\r\n0\r\n\r\n",
                              false)
                  .body,
              "ok");
    // Where no body follows there is nothing to frame: a HEAD response describes a GET's.
    const Recorded head = parseEverySplit(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, /*head=*/true);
    EXPECT_TRUE(head.done);
    EXPECT_FALSE(head.error);
}

TEST(HttpResponseParser, ChunkSizeOverflowNamesTheChunkSize) {
    const Recorded r = parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                       std::string(20, 'f') + "\r\nabc");
    EXPECT_EQ(r.error, FetchCode::weirdServerReply);
    EXPECT_EQ(r.errorText, "Weird server reply: chunk size too large");
    // A Content-Length that overflows is still about the header.
    const Recorded length = parseEverySplit(
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::string(30, '9') + "\r\n\r\nabc");
    EXPECT_EQ(length.error, FetchCode::weirdServerReply);
    EXPECT_NE(length.errorText.find("content-length"), std::string::npos) << length.errorText;
}

TEST(HttpResponseParser, OversizedHeadIsRefused) {
    const std::string wire = "HTTP/1.1 200 OK\r\nX: " + std::string(200 * 1024, 'a') + "\r\n\r\n";
    EXPECT_EQ(parse(wire, {4096}).error, FetchCode::weirdServerReply);
}

TEST(HttpResponseParser, ExceptionsFromTheHandlerPropagate) {
    struct Throwing : ResponseHandler {
        bool onHead(const ResponseHead&) override { return true; }
        void onBody(std::string_view) override {
            throw FetchError(FetchCode::writeError, "disk full");
        }
        void onTrailers(std::string_view) override {}
    } handler;
    ResponseParser parser(false, handler);
    try {
        parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
        FAIL() << "no exception";
    } catch (const FetchError& e) {
        EXPECT_EQ(e.code(), FetchCode::writeError);
    }
}

TEST(HttpResponseParser, CountsBodyBytesForTimeoutMessages) {
    Recorded r;
    Recorder recorder(r);
    ResponseParser parser(false, recorder);
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(parser.bodyBytes(), 3u);
    EXPECT_EQ(parser.expectedBodyBytes(), 10u);
    EXPECT_FALSE(parser.done());
}

}  // namespace
}  // namespace sockchat::http
