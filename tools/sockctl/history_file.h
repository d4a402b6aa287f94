#pragma once
// Where the interactive client keeps its input history between runs, by the XDG base directory
// spec: $XDG_STATE_HOME/sockctl/history, $XDG_STATE_HOME defaulting to ~/.local/state. What a
// person typed into a chat is private: the directories sockctl creates are 0700, the file 0600.
#include <optional>
#include <string>

namespace sockctl {

inline constexpr int kHistoryEntries = 1000;

// The history file for these values of $XDG_STATE_HOME and $HOME (either may be null); a
// relative XDG_STATE_HOME is ignored, as the spec says. nullopt when neither gives a place.
std::optional<std::string> historyPath(const char* xdgStateHome, const char* home);

// Creates the file's missing parent directories (0700) and the file itself (0600) if missing;
// an error text if that failed.
std::optional<std::string> prepareHistoryFile(const std::string& path);

}  // namespace sockctl
