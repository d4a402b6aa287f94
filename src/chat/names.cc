#include "sockchat/chat/names.h"

namespace sockchat::chat {

std::optional<std::string> validateName(std::string_view name, std::string_view what) {
    bool ok = !name.empty() && name.size() <= kMaxNameLength;
    for (char c : name) {
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
        ok = ok && allowed;
    }
    if (ok) return std::nullopt;
    return std::string(what) + " must be 1-32 characters of A-Z a-z 0-9 - _ .";
}

std::string foldCase(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace sockchat::chat
