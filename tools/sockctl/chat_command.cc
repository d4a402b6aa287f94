#include "chat_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "chat_session.h"
#include "exit_codes.h"
#include "interactive_frontend.h"
#include "pipe_frontend.h"
#include "service_check.h"
#include "service_connect.h"
#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"
#include "sockchat/cli/usage.h"
#include "terminal_style.h"

namespace sockctl {
namespace {

// Colour only for a person at a terminal who did not opt out (--no-color, NO_COLOR).
bool wantColour(bool noColourFlag) {
    return !noColourFlag && wantTerminalStyle(::isatty(STDOUT_FILENO), std::getenv("NO_COLOR"));
}

// --nick and --room checked against the server's charset before connecting: a script that
// asked for a name the server would refuse must fail before it posts anything anywhere.
std::optional<std::string> badName(ChatOptions& options) {
    using sockchat::chat::validateName;
    if (!options.nick.empty()) {
        if (auto error = validateName(options.nick, "nick")) return "--nick: " + *error;
        if (sockchat::chat::foldCase(options.nick).starts_with("guest-"))
            return "--nick: nicks starting with guest- are reserved";
    }
    std::vector<std::string> rooms;
    for (const auto& given : options.rooms) {
        // "--room dev,ops" as well as "--room dev --room ops"; "#dev" as the server takes it.
        std::string_view list = given;
        for (;;) {
            std::size_t comma = list.find(',');
            std::string_view room = sockchat::chat::roomArgument(list.substr(0, comma));
            if (auto error = validateName(room, "room"))
                return "--room " + sockchat::cli::quoteArgument(given) + ": " + *error;
            rooms.emplace_back(room);
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    options.rooms = std::move(rooms);
    return std::nullopt;
}

int runChat(const GlobalOptions& globals, ChatOptions options) {
    if (auto error = badName(options))
        return sockchat::cli::usageError("sockctl", *error, "sockctl chat");
    int exitCode = kExitOk;
    auto service = connectToService(sockchat::config::Service::chat, options.address,
                                    globals.configPath, options.tls, &exitCode);
    if (!service) return exitCode;
    bool colour = wantColour(options.noColour);
    // Line editing needs a terminal on both sides; anything else is a script (pipe mode).
    bool interactive = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    // The bell is for a person: a script's output has no one to alert.
    Renderer renderer(colour, interactive && !options.noBell);
    std::unique_ptr<ChatFrontend> frontend;
    if (interactive)
        frontend = std::make_unique<InteractiveFrontend>(renderer);
    else
        frontend = std::make_unique<PipeFrontend>();
    ChatSession session(service->endpoint, service->tls, options, *frontend, renderer);
    try {
        return session.run(std::move(service->stream));
    } catch (const TlsPortWithoutTls& e) {
        std::fprintf(stderr, "sockctl: %s\n", e.what());
        return kExitUnavailable;
    }
}

}  // namespace

Command addChatCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<ChatOptions>();
    CLI::App* sub = app.add_subcommand("chat", "Chat through sockchatd's chat service");
    sub->add_option("address", options->address,
                    "HOST[:PORT] of the chat service (default: from the config, else "
                    "127.0.0.1:8001)")
        ->type_name("HOST[:PORT]");
    sub->add_option("--nick", options->nick, "nick to ask for when connecting")->type_name("NICK");
    sub->add_option("--room", options->rooms,
                    "room to join when connecting (repeat it, or ROOM,ROOM, for several; the "
                    "first is the current one)")
        ->type_name("ROOM");
    sub->add_flag("-q,--quiet", options->quiet,
                  "print only the events after the connection is set up (no welcome, MOTD, "
                  "history or own joins)");
    sub->add_flag("--no-color", options->noColour,
                  "no colours (also when NO_COLOR is set or stdout is not a terminal)");
    sub->add_flag("--no-bell", options->noBell,
                  "no terminal bell when someone mentions your nick or sends you a private "
                  "message");
    sub->add_flag("--json", options->json, "print the server's JSON event lines as they are");
    sub->add_flag("--no-reconnect", options->noReconnect,
                  "exit 1 when the connection is lost instead of reconnecting");
    addTlsOptions(*sub, options->tls);
    sub->footer(
        "At a terminal: type to chat, /help lists the server's commands; Ctrl-D or /quit "
        "leaves, Ctrl-C clears the line (twice: leaves). Tab completes nicks and commands (again: "
        "the next candidate); input history is kept in $XDG_STATE_HOME/sockctl/history "
        "(~/.local/state/sockctl/history). Lines typed while the connection is down are shown "
        "as (pending) and sent once it is back.\n"
        "With stdin not a terminal: input lines are sent one at a time, each once the server "
        "has answered the one before (up to 5 s), so the server's rate limit loses none: a line "
        "it refuses with \"slow down\" goes again after a pause. Events are printed as plain "
        "lines. A line the server answers with any other error is reported on stderr. sockctl "
        "leaves at end of input or at a /quit line.\n"
        "A lost connection is retried after 1 s, 2 s, 4 s ... 30 s (a server that closes at once, "
        "e.g. \"! server full\", is a failed try), restoring nick and room.\n"
        "With stdin not a terminal, a --nick or --room the server refuses (taken, reserved) is "
        "one line on stderr and exit 1, and nothing is sent.\n"
        "With TLS, the certificate is verified like curl does (the system store, or --cacert; "
        "the name or IP address given must be in it); the connection, its TLS version and "
        "cipher are announced once. A reconnect speaks TLS too; a certificate that fails "
        "verification on a reconnect ends sockctl (77) rather than retrying.\n"
        "Exit status: 0 left normally, 1 the server refused a line of the script, the "
        "connection was lost (--no-reconnect) or the address is not a chat service, 64 bad "
        "arguments, " +
        std::string(kTlsExitCodes) + ", 78 bad config file.");
    return {sub, [&globals, options] { return runChat(globals, *options); }};
}

}  // namespace sockctl
