#pragma once
// The admin socket's requests (daemon/admin/PROTOCOL.md): one JSON object per line with a string
// "cmd". Framing and argument reading live here, apart from the socket, because they read what
// a local client sends: the fuzz target admin_request_fuzz drives them with arbitrary bytes.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace sockchat::admin {

// A request line longer than this is refused, and the connection closed after the error.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// What takeRequest found at the front of the bytes a client has sent.
struct Framed {
    enum class Kind {
        request,    // `request` is an object with a string "cmd"
        malformed,  // not such an object: `error` says so, and the next line is read
        tooLong,    // over kMaxRequestBytes: `error` says so; the rest is not a request
    };
    Kind kind = Kind::request;
    nlohmann::json request;
    std::string error;
};

// Takes the next line (up to '\n'; a '\r' before it is dropped) out of `input`. nullopt while no
// line is complete and `input` is under kMaxRequestBytes. tooLong empties `input`.
std::optional<Framed> takeRequest(std::string& input);

// A string argument, "" if absent or of another type: a wrong type never throws.
std::string stringArg(const nlohmann::json& request, const char* key);
// True only if the argument is the JSON value true.
bool flagArg(const nlohmann::json& request, const char* key);

}  // namespace sockchat::admin
