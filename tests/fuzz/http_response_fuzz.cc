// Fuzz target for sockfetch's response-handling path: whatever bytes a server sends, split
// however the network splits them, ResponseParser must either deliver a response or throw a
// FetchError, never crash, hang or read out of bounds. Also runs Location handling (reference
// resolution and URL parsing) on the same input, since redirect targets come from servers too.
//
// Input layout: byte 0 picks HEAD vs GET and whether EOF follows; byte 1 is the read size used to
// split the rest (1..256), the rest is the server's byte stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/response_parser.h"
#include "sockchat/http/url.h"

namespace {

class Sink final : public sockchat::http::ResponseHandler {
  public:
    bool onHead(const sockchat::http::ResponseHead& head) override {
        bytes_ += head.raw.size();
        if (const auto* location = head.find("Location")) {
            try {
                const auto base = sockchat::http::parseUrl("http://fuzz.example:8080/a/b?c");
                sockchat::http::parseUrl(sockchat::http::resolveReference(base, *location));
            } catch (const sockchat::http::FetchError&) {
            }
        }
        return head.status != 399;  // exercise the "stop after head" path too
    }
    void onBody(std::string_view data) override { bytes_ += data.size(); }
    void onTrailers(std::string_view raw) override { bytes_ += raw.size(); }

  private:
    std::size_t bytes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const bool head = data[0] & 1;
    const bool eof = data[0] & 2;
    const std::size_t step = 1 + data[1];
    const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

    Sink sink;
    sockchat::http::ResponseParser parser(head, sink);
    try {
        for (std::size_t pos = 0; pos < stream.size() && !parser.done(); pos += step)
            parser.feed(stream.substr(pos, step));
        if (eof) parser.finish();
    } catch (const sockchat::http::FetchError&) {
        // Expected for malformed or truncated responses.
    }
    return 0;
}
