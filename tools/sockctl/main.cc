// sockctl: the sockchatd client. main() only assembles the subcommands and maps command-line
// errors to exit codes; each subcommand lives in its own file (see command.h).
#include <clocale>
#include <csignal>
#include <cstdio>
#include <exception>
#include <vector>

#include "chat_command.h"
#include "command.h"
#include "echo_command.h"
#include "exit_codes.h"
#include "listener_lookup.h"

int main(int argc, char** argv) {
    // A server that goes away while we write must be an error we report, not death by SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"sockctl: client for sockchatd (chat, echo)"};
    app.set_version_flag("--version", "sockctl " SOCKCHAT_VERSION);
    // `sockctl chat -c FILE` as well as `sockctl -c FILE chat`.
    app.fallthrough();
    app.require_subcommand(1);

    sockctl::GlobalOptions globals;
    app.add_option("-c,--config", globals.configPath,
                   std::string("sockchatd config to find listeners in (default: ") +
                       sockctl::kSystemConfig +
                       " if it exists, else 127.0.0.1:8001 for chat "
                       "and 127.0.0.1:8000 for echo)")
        ->type_name("FILE");

    std::vector<sockctl::Command> commands;
    commands.push_back(sockctl::addChatCommand(app, globals));
    commands.push_back(sockctl::addEchoCommand(app, globals));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);  // prints help, version or the error
        return rc == 0 ? sockctl::kExitOk : sockctl::kExitUsage;
    }

    try {
        for (const auto& command : commands)
            if (command.app->parsed()) return command.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sockctl: %s\n", e.what());
        return sockctl::kExitFailure;
    }
    return sockctl::kExitUsage;  // unreachable: require_subcommand(1)
}
