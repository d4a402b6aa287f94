#pragma once
// The command-line convention shared by sockchatd and sockctl: a usage error (unknown option,
// missing value, unknown command, extra argument) is "PROG: message" and a hint on stderr and
// exit status 64 (EX_USAGE); --help and --version print on stdout and exit 0. sockfetch keeps
// curl's status 2 and hint but words its messages with describe().
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace sockchat::cli {

inline constexpr int kExitUsage = 64;  // EX_USAGE, sysexits(3)

// An argument as a usage message names it: 'bogus' (control bytes escaped).
std::string quoteArgument(const std::string& arg);

// A CLI11 parse error as a user reads it: "unknown option '--bogus'", "option --config needs a
// value", ... (CLI11's own text where it is already plain).
std::string describe(const CLI::ParseError& error);

// Prints "PROG: message" and "Try 'HELP_COMMAND --help'." on stderr and returns kExitUsage.
// helpCommand is the program, or the program and its subcommand ("sockctl chat").
int usageError(const std::string& program, const std::string& message,
               const std::string& helpCommand);

// The program and the subcommands given on the command line so far, as typed: "sockctl chat".
std::string commandPath(const CLI::App& app);

// Parses argv with app, which must be named after the program (CLI::App{description, "prog"}).
// Returns nullopt when the program goes on, else its exit status: 0 after --help or --version
// (printed on stdout), kExitUsage after a usage error (printed on stderr). Arguments that no
// option or positional takes are usage errors too, each named: app is set to allow_extras() so
// that they come back here rather than as CLI11's ExtrasError.
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv);

}  // namespace sockchat::cli
