#include "sockchat/admin/request.h"

namespace sockchat::admin {

using nlohmann::json;

namespace {

Framed failed(Framed::Kind kind, std::string error) {
    Framed f;
    f.kind = kind;
    f.error = std::move(error);
    return f;
}

Framed tooLong(std::string& input) {
    input.clear();
    return failed(Framed::Kind::tooLong,
                  "request too long (over " + std::to_string(kMaxRequestBytes) + " bytes)");
}

}  // namespace

std::optional<Framed> takeRequest(std::string& input) {
    auto end = input.find('\n');
    if (end == std::string::npos) {
        if (input.size() < kMaxRequestBytes) return std::nullopt;
        return tooLong(input);
    }
    // A long line may arrive with its newline in one read: the cap is on the line, not the read.
    if (end > kMaxRequestBytes) return tooLong(input);
    std::string line = input.substr(0, end);
    input.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object())
        return failed(Framed::Kind::malformed,
                      "not a JSON object: send one object per line, e.g. {\"cmd\":\"status\"}");
    auto cmd = request.find("cmd");
    if (cmd == request.end() || !cmd->is_string())
        return failed(Framed::Kind::malformed, "missing \"cmd\" (a string)");
    Framed f;
    f.request = std::move(request);
    return f;
}

std::string stringArg(const json& request, const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flagArg(const json& request, const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace sockchat::admin
