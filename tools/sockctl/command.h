#pragma once
// How subcommands plug into main: each one adds a CLI11 subcommand with its options and returns
// the function that runs it once the command line is parsed. main() only picks the parsed one,
// so the admin commands (status, clients, kick, ...) are added the same way, one file each.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace sockctl {

// Options that every subcommand shares.
struct GlobalOptions {
    std::string configPath;  // -c FILE; empty = the system config if it exists, else defaults
    std::string socketPath;  // --socket PATH (admin commands); empty = from the config
};

struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;  // returns the exit code
};

}  // namespace sockctl
