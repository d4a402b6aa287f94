#include "admin_commands.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>

#include "admin_client.h"
#include "admin_format.h"
#include "admin_reply.h"
#include "admin_socket.h"
#include "exit_codes.h"
#include "sockchat/chat/command.h"
#include "sockchat/cli/usage.h"
#include "terminal_style.h"

namespace sockctl {
namespace {

using admin::Json;
// The reply as text for a person; bold: whether the table header may be bold.
using Render = std::function<std::string(const Json& reply, bool bold)>;

constexpr std::array<const char*, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

struct AdminOptions {
    bool json = false;
    std::string service, room, client, reason, level;
    bool all = false;
    std::vector<std::string> words;  // kick's ID|NICK, say's TEXT
};

int runAdmin(const GlobalOptions& globals, const Json& request, bool json, const Render& render) {
    auto socket = admin::findAdminSocket(globals.socketPath, globals.configPath);
    if (socket.exitCode != kExitOk) {
        std::fprintf(stderr, "sockctl: %s\n", socket.error.c_str());
        return socket.exitCode;
    }
    if (!socket.warning.empty())
        std::fprintf(stderr, "sockctl: warning: %s\n", socket.warning.c_str());
    // Arguments are the user's bytes; invalid UTF-8 is sent replaced rather than refused.
    auto exchanged =
        admin::exchange(socket.path, request.dump(-1, ' ', false, Json::error_handler_t::replace));
    if (exchanged.exitCode != kExitOk) {
        std::fprintf(stderr, "sockctl: %s\n", exchanged.error.c_str());
        return exchanged.exitCode;
    }
    const Json reply = Json::parse(exchanged.reply, nullptr, /*allow_exceptions=*/false);
    const admin::Verdict verdict = admin::judgeReply(reply, socket.path);
    if (json) {
        // As it came: a script parses it (the error is in it, and the exit status says which).
        std::fwrite(exchanged.reply.data(), 1, exchanged.reply.size(), stdout);
        std::fputc('\n', stdout);
        // Not an answer of the daemon's at all: that is ours to say.
        if (!reply.is_object()) std::fputs(verdict.message.c_str(), stderr);
    } else if (verdict.exitCode == kExitOk) {
        const char* noColor = std::getenv("NO_COLOR");
        std::fputs(render(reply, wantTerminalStyle(::isatty(STDOUT_FILENO), noColor)).c_str(),
                   stdout);
    } else {
        std::fputs(verdict.message.c_str(), stderr);
    }
    if (std::fflush(stdout) != 0) return kExitFailure;
    return verdict.exitCode;
}

// A render for the replies that have no table.
Render plain(std::string (*format)(const Json&)) {
    return [format](const Json& reply, bool) { return format(reply); };
}

// "#dev" whether the user typed "dev" or "#dev", as chat's --room takes it.
std::string roomName(const std::string& typed) {
    return "#" + std::string(sockchat::chat::roomArgument(typed));
}

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
    return out;
}

// The subcommand with its --json flag; the caller adds the rest.
CLI::App* subcommand(CLI::App& app, AdminOptions& options, const std::string& name,
                     const std::string& description) {
    CLI::App* sub = app.add_subcommand(name, description);
    sub->add_flag("--json", options.json, "print the daemon's reply as it came (one JSON line)");
    sub->footer(
        "Exit status: 0 ok, 1 the daemon refused, 64 bad arguments, 69 cannot connect to the "
        "admin socket (or no reply), 77 permission denied, 78 bad config file (or, for reload, "
        "an invalid new config).");
    return sub;
}

// A command whose request is {"cmd": NAME} and nothing else.
Command simpleCommand(CLI::App& app, const GlobalOptions& globals, const std::string& name,
                      const std::string& description, Render render) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* sub = subcommand(app, *options, name, description);
    return {sub, [&globals, options, name, render] {
                return runAdmin(globals, Json{{"cmd", name}}, options->json, render);
            }};
}

Command clientsCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* sub = subcommand(app, *options, "clients", "List the connected clients");
    sub->add_option("--service", options->service, "only the clients of this service")
        ->check(CLI::IsMember({"chat", "echo"}))
        ->type_name("chat|echo");
    sub->add_option("--room", options->room, "only the members of this room")->type_name("ROOM");
    return {sub, [&globals, options] {
                Json request{{"cmd", "clients"}};
                if (!options->service.empty()) request["service"] = options->service;
                if (!options->room.empty()) request["room"] = roomName(options->room);
                return runAdmin(globals, request, options->json, admin::formatClients);
            }};
}

Command kickCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* sub = subcommand(app, *options, "kick", "Disconnect a client, named by id or nick");
    sub->add_option("client", options->client, "the client's id (from clients) or chat nick")
        ->type_name("ID|NICK")
        ->required();
    sub->add_option("--reason", options->reason, "told to the client as it is closed")
        ->type_name("TEXT");
    return {sub, [&globals, options] {
                Json request{{"cmd", "kick"}, {"client", options->client}};
                if (!options->reason.empty()) request["reason"] = options->reason;
                return runAdmin(globals, request, options->json, plain(admin::formatKick));
            }};
}

Command sayCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* sub =
        subcommand(app, *options, "say", "Send a server notice to a room, a client, or everyone");
    sub->add_option("--room", options->room, "to the members of this room")->type_name("ROOM");
    sub->add_option("--client", options->client, "to this chat client")->type_name("ID|NICK");
    sub->add_flag("--all", options->all, "to every chat client");
    sub->add_option("text", options->words, "the notice (several words are joined with spaces)")
        ->type_name("TEXT")
        ->required();
    return {sub, [&globals, options] {
                const int targets =
                    !options->room.empty() + !options->client.empty() + options->all;
                if (targets != 1)
                    return sockchat::cli::usageError(
                        "sockctl", "give exactly one of --room, --client and --all", "sockctl say");
                Json request{{"cmd", "say"}, {"text", joined(options->words)}};
                if (!options->room.empty()) request["room"] = roomName(options->room);
                if (!options->client.empty()) request["client"] = options->client;
                if (options->all) request["all"] = true;
                return runAdmin(globals, request, options->json, plain(admin::formatSay));
            }};
}

Command logLevelCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* sub = subcommand(app, *options, "log-level",
                               "Set the daemon's log level until the next reload or restart");
    sub->add_option("level", options->level, "the new level")
        ->type_name("trace|debug|info|warn|error")
        ->required();
    return {
        sub, [&globals, options] {
            // Checked here too, so that a typo is a usage error before any connection.
            if (std::find(kLogLevels.begin(), kLogLevels.end(), options->level) == kLogLevels.end())
                return sockchat::cli::usageError("sockctl",
                                                 "unknown log level " +
                                                     sockchat::cli::quoteArgument(options->level) +
                                                     " (trace, debug, info, warn or error)",
                                                 "sockctl log-level");
            return runAdmin(globals, Json{{"cmd", "log-level"}, {"level", options->level}},
                            options->json, plain(admin::formatLogLevel));
        }};
}

std::string stopping(const Json&) {
    return "sockchatd is stopping\n";
}

}  // namespace

void addAdminCommands(CLI::App& app, const GlobalOptions& globals, std::vector<Command>& commands) {
    commands.push_back(simpleCommand(app, globals, "status", "Show what the daemon is doing",
                                     admin::formatStatus));
    commands.push_back(clientsCommand(app, globals));
    commands.push_back(
        simpleCommand(app, globals, "rooms", "List the chat rooms", admin::formatRooms));
    commands.push_back(kickCommand(app, globals));
    commands.push_back(sayCommand(app, globals));
    commands.push_back(simpleCommand(app, globals, "reload",
                                     "Reload the daemon's config (as SIGHUP) and show the changes",
                                     plain(admin::formatReload)));
    commands.push_back(logLevelCommand(app, globals));
    commands.push_back(simpleCommand(app, globals, "stop",
                                     "Stop the daemon gracefully (as SIGTERM)", plain(stopping)));
    commands.push_back(simpleCommand(app, globals, "metrics",
                                     "Print the daemon's metrics (Prometheus text)",
                                     plain(admin::formatMetrics)));
}

}  // namespace sockctl
