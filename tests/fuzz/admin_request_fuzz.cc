// Fuzz target for the admin socket's requests (sockchat/admin/request.h): whatever bytes a local
// client sends, in whatever pieces, framing never crashes or throws, never keeps more than a
// line's cap, and every request it hands on is an object with a string "cmd" whose arguments
// read without throwing and whose reply is well-formed JSON. A request written back by
// nlohmann-json frames to the same request (what sockctl sends is what the daemon reads).
//
// Input layout: byte 0 is the size of the pieces (1..256) the rest arrives in, as reads would.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockchat/admin/request.h"
#include "utf8_check.h"

namespace {

using nlohmann::json;
using sockchat::admin::Framed;
using sockchat::fuzz::require;

constexpr const char* kArgs[] = {"cmd", "client", "reason", "text", "room", "service", "level"};

void checkRequest(const json& request) {
    require(request.is_object());
    require(request.at("cmd").is_string());
    json reply = {{"ok", true}, {"all", sockchat::admin::flagArg(request, "all")}};
    for (const char* key : kArgs) reply[key] = sockchat::admin::stringArg(request, key);
    // The daemon's way of writing a reply; it must read back as the same object.
    const std::string line = reply.dump(-1, ' ', false, json::error_handler_t::replace);
    require(line.find('\n') == std::string::npos);
    require(json::parse(line, nullptr, false) == reply);
    // Round trip: the compact form of a request frames to the same request.
    std::string again = request.dump() + "\n";
    auto framed = sockchat::admin::takeRequest(again);
    require(framed && framed->kind == Framed::Kind::request && framed->request == request);
    require(again.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t piece = std::size_t{data[0]} + 1;
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string input;
    for (std::size_t at = 0; at < rest.size(); at += piece) {
        input.append(rest.substr(at, piece));
        while (auto framed = sockchat::admin::takeRequest(input)) {
            if (framed->kind == Framed::Kind::tooLong) {
                require(input.empty() && !framed->error.empty());
                return 0;  // the daemon closes the connection here
            }
            if (framed->kind == Framed::Kind::malformed) {
                require(!framed->error.empty() && framed->error.find('\n') == std::string::npos);
                continue;
            }
            checkRequest(framed->request);
        }
        // Waiting for the rest of a line: never a whole line, never more than the cap.
        require(input.find('\n') == std::string::npos);
        require(input.size() < sockchat::admin::kMaxRequestBytes);
    }
    return 0;
}
