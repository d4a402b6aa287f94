#include "chat_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "chat_session.h"
#include "exit_codes.h"
#include "interactive_frontend.h"
#include "pipe_frontend.h"
#include "service_connect.h"

namespace sockctl {
namespace {

// Colour only for a person at a terminal who did not opt out (https://no-color.org: NO_COLOR
// set to anything non-empty).
bool wantColour(bool noColourFlag) {
    const char* noColor = std::getenv("NO_COLOR");
    return !noColourFlag && !(noColor && *noColor) && ::isatty(STDOUT_FILENO);
}

int runChat(const GlobalOptions& globals, const ChatOptions& options) {
    int exitCode = kExitOk;
    auto service = connectToService(sockchat::config::Service::chat, options.address,
                                    globals.configPath, &exitCode);
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
    ChatSession session(service->endpoint, options, *frontend, renderer);
    return session.run(std::move(service->fd));
}

}  // namespace

Command addChatCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<ChatOptions>();
    CLI::App* sub = app.add_subcommand("chat", "Chat through sockchatd's chat service");
    sub->add_option("address", options->address,
                    "HOST[:PORT] of the chat service (default: from the config, else "
                    "127.0.0.1:8001)")
        ->type_name("HOST[:PORT]");
    sub->add_option("--nick", options->nick, "nick to take after connecting")->type_name("NICK");
    sub->add_option("--room", options->room, "room to join after connecting")->type_name("ROOM");
    sub->add_flag("--no-color", options->noColour,
                  "no colours (also when NO_COLOR is set or stdout is not a terminal)");
    sub->add_flag("--no-bell", options->noBell,
                  "no terminal bell when someone mentions your nick or sends you a private "
                  "message");
    sub->add_flag("--json", options->json, "print the server's JSON event lines as they are");
    sub->add_flag("--no-reconnect", options->noReconnect,
                  "exit 1 when the connection is lost instead of reconnecting");
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
        "Exit status: 0 left normally, 1 the server refused a line of the script, the "
        "connection was lost (--no-reconnect) or the address is not a chat service, 64 bad "
        "arguments, 69 cannot connect, 78 bad "
        "config file.");
    return {sub, [&globals, options] { return runChat(globals, *options); }};
}

}  // namespace sockctl
