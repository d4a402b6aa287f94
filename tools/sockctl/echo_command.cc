#include "echo_command.h"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "exit_codes.h"
#include "service_check.h"
#include "service_connect.h"
#include "sockchat/cli/usage.h"
#include "tls_flags.h"

namespace sockctl {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long the whole reply may take, and how long a server that never closes may stay quiet
// once it has answered at least as many bytes as we sent.
constexpr auto kReplyTimeout = 10s;
constexpr auto kQuietTimeout = 1s;
// How sockchatd's chat service answers a one-shot client (PROTOCOL.md "Handshake").
constexpr std::string_view kChatPortAnswer = "! this is a sockchatd chat port";

struct EchoOptions {
    std::vector<std::string> args;  // [address] text
    std::string address;
    std::string text;
    TlsFlags tls;
};

// CLI11 would print the usage of the positional list as "args(1x)"; say what it means.
class EchoFormatter : public CLI::Formatter {
  public:
    std::string make_usage(const CLI::App* /*app*/, std::string name) const override {
        return "Usage: " + name + " [OPTIONS] [HOST[:PORT]] TEXT\n";
    }
};

int remainingMs(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits (up to the deadline) for what the stream asked for; false when the time is up.
bool waitFor(const SocketStream& stream, Io io, Clock::time_point deadline) {
    for (;;) {
        pollfd p{stream.fd(), pollEventsFor(io), 0};
        int ready = ::poll(&p, 1, remainingMs(deadline));
        if (ready < 0 && errno == EINTR) continue;
        return ready > 0;
    }
}

bool sendAll(SocketStream& stream, std::string_view bytes, std::string* error) {
    auto deadline = Clock::now() + kReplyTimeout;
    while (!bytes.empty()) {
        std::size_t n = 0;
        Io io = stream.write(bytes.data(), bytes.size(), &n);
        if (io == Io::ok) {
            bytes.remove_prefix(n);
            continue;
        }
        if (io == Io::failed) {
            *error = stream.error();
            return false;
        }
        if (!waitFor(stream, io, deadline)) {
            *error = "the server took nothing for 10 s";
            return false;
        }
    }
    return true;
}

// Reads the echo service's complete reply.
//
// The service answers every read() it does with prefix + those bytes, so the reply is
// prefix + TEXT only when the daemon read TEXT in one piece; a long TEXT may come back as
// "hello ab" + "hello cd". Neither "got len(TEXT) bytes ending in TEXT" nor "the peer went quiet"
// can tell a finished reply from a half one. End of stream can: we half-close after sending,
// and the daemon answers everything it read, then closes. The quiet timeout is only a backstop
// for echo servers that ignore the half-close, and kReplyTimeout bounds the whole wait.
int readReply(SocketStream& stream, std::size_t sentBytes, std::string* reply, std::string* error) {
    auto deadline = Clock::now() + kReplyTimeout;
    for (;;) {
        // Read first, wait only when the stream says so: TLS may hold decrypted bytes that
        // would never make the socket readable.
        char buf[65536];
        std::size_t n = 0;
        Io io = stream.read(buf, sizeof buf, &n);
        if (io == Io::ok) {
            reply->append(buf, n);
            continue;
        }
        if (io == Io::closed) {
            if (!reply->empty()) return kExitOk;
            *error = "the server closed the connection without a reply";
            return kExitFailure;
        }
        if (io == Io::failed) {
            *error = stream.error();
            return kExitFailure;
        }
        auto wait = deadline;
        if (reply->size() >= sentBytes) wait = std::min(wait, Clock::now() + kQuietTimeout);
        if (!waitFor(stream, io, wait)) {
            if (reply->size() >= sentBytes) return kExitOk;  // quiet after a full answer
            *error = reply->empty() ? "no reply within 10 s" : "incomplete reply within 10 s";
            return kExitFailure;
        }
    }
}

int runEcho(const GlobalOptions& globals, const EchoOptions& options) {
    int exitCode = kExitOk;
    auto service = connectToService(sockchat::config::Service::echo, options.address,
                                    globals.configPath, options.tls, &exitCode);
    if (!service) return exitCode;
    SocketStream& stream = service->stream;
    const std::string where = service->endpoint.toString();
    std::string reply, error;
    if (!sendAll(stream, options.text, &error)) {
        std::fprintf(stderr, "sockctl: sending to %s: %s\n", where.c_str(), error.c_str());
        return kExitFailure;
    }
    stream.shutdownWrite();
    int rc = readReply(stream, options.text.size(), &reply, &error);
    if (rc != kExitOk) {
        std::fprintf(stderr, "sockctl: %s: %s\n", where.c_str(), error.c_str());
        if (reply.empty()) return rc;
    }
    // A TLS listener spoken to in plain text: its answer is no echo.
    if (isTlsPortAnswer(reply)) {
        std::fprintf(stderr, "sockctl: %s\n", TlsPortWithoutTls(where).what());
        return kExitUnavailable;
    }
    // Aimed at sockchatd's chat port by mistake: the chat service says so instead of posting.
    if (reply.starts_with(kChatPortAnswer)) {
        std::fprintf(stderr,
                     "sockctl: %s is a sockchatd chat service, not echo (try sockctl chat)\n",
                     where.c_str());
        return kExitFailure;
    }
    // The reply as the server sent it (binary-safe); a final newline only to end the line.
    std::fwrite(reply.data(), 1, reply.size(), stdout);
    if (!reply.empty() && reply.back() != '\n') std::fputc('\n', stdout);
    if (std::fflush(stdout) != 0) return kExitFailure;
    return rc;
}

}  // namespace

Command addEchoCommand(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<EchoOptions>();
    CLI::App* sub =
        app.add_subcommand("echo", "Send TEXT to sockchatd's echo service and print the reply");
    // One positional list rather than two positionals: CLI11 fills positionals left to right,
    // so with an optional address first, `sockctl echo hi` would take "hi" as the address.
    sub->add_option("args", options->args,
                    "where the echo service listens (default: from the config, else "
                    "127.0.0.1:8000), and the text to send (quote it if it has spaces)")
        ->type_name("[HOST[:PORT]] TEXT")
        ->expected(1, 2);
    addTlsOptions(*sub, options->tls);
    sub->formatter(std::make_shared<EchoFormatter>());
    sub->footer(
        "The reply is read until the server closes the connection (sockctl half-closes after "
        "sending), so a reply that the server sends in several pieces is printed complete.\n"
        "Exit status: 0 reply printed, 1 no or broken reply (or the address is sockchatd's chat "
        "service), 64 bad arguments, " +
        std::string(kTlsExitCodes) + ", 78 bad config file.");
    return {sub, [&globals, options] {
                // Checked here, not by CLI11, whose message would name the list ("args").
                if (options->args.empty())
                    return sockchat::cli::usageError("sockctl", "missing TEXT", "sockctl echo");
                if (options->args.size() == 2) options->address = options->args.front();
                options->text = options->args.back();
                return runEcho(globals, *options);
            }};
}

}  // namespace sockctl
