#pragma once
// Nick and room names: 1-32 of A-Z a-z 0-9 - _ . ; compared ignoring ASCII case.
#include <optional>
#include <string>
#include <string_view>

namespace sockchat::chat {

inline constexpr std::size_t kMaxNameLength = 32;

// Returns an error text ("nick must be 1-32 characters of A-Z a-z 0-9 - _ .") or nullopt.
std::optional<std::string> validateName(std::string_view name, std::string_view what);
std::string foldCase(std::string_view name);

// Whether `text` matches the glob `pattern` (`*` any run, `?` any one character, the rest
// literally), ignoring ASCII case: the room filter of /rooms PATTERN. Linear backtracking on the
// last `*` only, so a hostile pattern costs O(pattern x text), not exponential time.
bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace sockchat::chat
