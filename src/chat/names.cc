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

bool globMatch(std::string_view pattern, std::string_view text) {
    auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, resume = 0;  // last `*` and where it matched to
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && (pattern[p] == '?' || fold(pattern[p]) == fold(text[t]))) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;  // let the last `*` take one more character
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace sockchat::chat
