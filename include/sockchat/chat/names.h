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

}  // namespace sockchat::chat
