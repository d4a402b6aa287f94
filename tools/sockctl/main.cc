// sockctl: the sockchatd client. main() only assembles the subcommands and maps command-line
// errors to exit codes; each subcommand lives in its own file (see command.h).
#include <clocale>
#include <csignal>
#include <cstdio>
#include <exception>
#include <vector>

#include "admin_commands.h"
#include "chat_command.h"
#include "command.h"
#include "echo_command.h"
#include "exit_codes.h"
#include "help_command.h"
#include "listener_lookup.h"
#include "sockchat/cli/usage.h"

int main(int argc, char** argv) {
    // A server that goes away while we write must be an error we report, not death by SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{
        "sockctl: client for sockchatd (chat, echo) and its operator's tool (status, "
        "clients, kick, reload, ...)",
        "sockctl"};
    app.set_version_flag("-V,--version", "sockctl " SOCKCHAT_VERSION);
    // `sockctl chat -c FILE` as well as `sockctl -c FILE chat`.
    app.fallthrough();
    // One command at most, so that `chat` in `sockctl help chat` is help's argument; none is
    // an error of ours below, not CLI11's "A subcommand is required".
    app.require_subcommand(0, 1);
    app.footer(
        "Run 'sockctl help COMMAND' for a command's options.\n"
        "Exit status: 0 ok, 1 the connection broke or the server refused a line (admin commands: "
        "the daemon answered with an error), 64 bad arguments, 66 unreadable --cacert, --cert or "
        "--key, 69 cannot connect to sockchatd (admin commands: or no reply; chat, echo: or the "
        "TLS handshake failed), 77 permission denied on the admin socket (chat, echo: the "
        "server's TLS certificate failed verification), 78 bad config file (reload: the "
        "daemon's new config is invalid).");

    sockctl::GlobalOptions globals;
    app.add_option(
           "-c,--config", globals.configPath,
           std::string("sockchatd config to find listeners and the admin socket in (default: ") +
               sockctl::kSystemConfig +
               " if it exists, else 127.0.0.1:8001 for chat "
               "and 127.0.0.1:8000 for echo)")
        ->type_name("FILE");
    app.add_option("--socket", globals.socketPath,
                   "admin socket of the operator's commands (default: admin.socket of the "
                   "config, else /run/sockchatd/admin.sock)")
        ->type_name("PATH");

    std::vector<sockctl::Command> commands;
    commands.push_back(sockctl::addChatCommand(app, globals));
    commands.push_back(sockctl::addEchoCommand(app, globals));
    sockctl::addAdminCommands(app, globals, commands);
    commands.push_back(sockctl::addHelpCommand(app));

    // Help and version, or a usage error printed the common way ("sockctl: ..." and exit 64).
    if (auto rc = sockchat::cli::parse(app, argc, argv)) return *rc;

    try {
        for (const auto& command : commands)
            if (command.app->parsed()) return command.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sockctl: %s\n", e.what());
        return sockctl::kExitFailure;
    }
    std::fprintf(stderr, "sockctl: missing command\n%s", app.help().c_str());
    return sockctl::kExitUsage;
}
