// sockchatd: the echo and chat daemon. main() parses the command line, loads the config, sets up
// logging and hands over to Server; everything long-lived is owned here, nothing is global.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "journald_sink.h"
#include "server.h"
#include "sockchat/cli/usage.h"
#include "sockchat/config/loader.h"
#include "sockchat/log/logger.h"
#include "sockchat/text/quote.h"
#include "tls_listeners.h"

namespace {

constexpr const char* kSystemConfig = "/etc/sockchatd/sockchatd.yaml";
constexpr int kExitSoftware = 70;  // EX_SOFTWARE: an internal error

bool fileExists(const char* path) {
    struct stat st {};
    return ::stat(path, &st) == 0;
}

std::unique_ptr<sockchat::log::Sink> makeConsoleSink(const sockchat::config::Logging& logging) {
    if (logging.format == sockchat::config::LogFormat::json)
        return sockchat::log::makeJsonConsoleSink();
    // Colour only for a person at a terminal, and never when they asked for none.
    bool colour = ::isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
    return sockchat::log::makeTextConsoleSink(colour);
}

// -f wins over logging.sink; `auto` means the journal when systemd connected stderr to it.
std::unique_ptr<sockchat::log::Sink> makeSink(const sockchat::config::Logging& logging,
                                              bool foreground) {
    using sockchat::config::LogSink;
    bool journal =
        !foreground && (logging.sink == LogSink::journald ||
                        (logging.sink == LogSink::automatic && sockchatd::stderrIsJournal()));
    if (journal) return sockchatd::makeJournaldSink(makeConsoleSink(logging));
    return makeConsoleSink(logging);
}

int run(int argc, char** argv) {
    CLI::App app{"sockchatd: echo and chat server over TCP", "sockchatd"};
    std::string configFile;
    bool checkOnly = false;
    bool foreground = false;
    app.add_option("-c,--config", configFile,
                   std::string("config file (default: ") + kSystemConfig +
                       " if it exists, else the built-in default)");
    app.add_flag("-t,--check-config", checkOnly, "check the config and exit (0 ok, 78 invalid)");
    app.add_flag("-f,--foreground", foreground,
                 "log to the console, whatever logging.sink says and even under systemd "
                 "(sockchatd never forks)");
    app.set_version_flag("-V,--version", "sockchatd " SOCKCHAT_VERSION);
    app.footer(
        "Exit status: 0 stopped, or the config is valid (-t); 64 bad command line; 70 internal "
        "error; 71 a listener cannot be bound (or another resource the system refused); 78 "
        "invalid config.");
    if (auto rc = sockchat::cli::parse(app, argc, argv)) return *rc;

    if (configFile.empty() && fileExists(kSystemConfig)) configFile = kSystemConfig;
    auto loaded = configFile.empty() ? sockchat::config::loadEmbeddedDefault()
                                     : sockchat::config::loadConfigFile(configFile);
    if (!loaded.config) {
        std::fprintf(stderr, "sockchatd: %s\n", loaded.error->toString().c_str());
        return sockchatd::kExitConfig;
    }
    if (checkOnly) {
        // Like nginx -t: the certificates and keys are part of what must work at start.
        std::string tlsError;
        if (!sockchatd::loadTlsContexts(*loaded.config, &tlsError)) {
            std::fprintf(stderr, "sockchatd: %s\n", tlsError.c_str());
            return sockchatd::kExitConfig;
        }
        std::printf("sockchatd: %s: configuration ok\n",
                    configFile.empty() ? "built-in default" : configFile.c_str());
        return sockchatd::kExitOk;
    }

    // A peer that closes while we write must cost us an EPIPE, not the process.
    ::signal(SIGPIPE, SIG_IGN);

    sockchat::config::Config config = std::move(*loaded.config);
    auto level =
        sockchat::log::parseLevel(config.logging.level).value_or(sockchat::log::Level::info);
    sockchat::log::Logger logger(makeSink(config.logging, foreground), level);

    sockchatd::Server server(std::move(config), configFile, logger);
    return server.run();
}

}  // namespace

// Nothing may escape main: an uncaught exception aborts (exit 134, maybe a core) where whoever
// started the daemon expects one line and an exit status. The config loader turns its own
// failures, running out of memory included, into config errors (78); anything that still gets
// here is an internal error.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::bad_alloc&) {
        // No allocation here: there may be no memory for one.
        std::fputs("sockchatd: out of memory\n", stderr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sockchatd: internal error: %s\n",
                     sockchat::text::escapeForMessage(e.what()).c_str());
    } catch (...) {
        std::fputs("sockchatd: internal error: unknown exception\n", stderr);
    }
    return kExitSoftware;
}
