// sockfetch: HTTP/1.1 GET over sockchat's own sockets, with curl's options and exit codes.
#include <csignal>
#include <exception>
#include <iostream>

#include "command_line.h"
#include "sockchat/http/fetch_error.h"
#include "sockchat/http/fetcher.h"
#include "sockchat/http/output.h"
#include "sockchat/http/trace.h"

int main(int argc, char** argv) {
    auto parsed = sockfetch::parseCommandLine(argc, argv);
    if (!parsed.commandLine) return parsed.exitCode;
    auto& cl = *parsed.commandLine;

    // A closed stdout pipe (sockfetch URL | head -c 10) or a server gone mid-send must be
    // an exit code (23, 55), not death by SIGPIPE; TLS writes go through OpenSSL's write(),
    // which MSG_NOSIGNAL cannot reach, so the signal is ignored process-wide.
    std::signal(SIGPIPE, SIG_IGN);

    const sockchat::http::Trace trace(cl.verbose);
    try {
        sockchat::http::Output output(cl.outputPath);
        sockchat::http::Fetcher fetcher(std::move(cl.fetch), output, trace);
        fetcher.run(cl.url);
        return 0;
    } catch (const sockchat::http::FetchError& e) {
        if (!cl.silent || cl.showError)
            std::cerr << "sockfetch: (" << e.exitCode() << ") " << e.what() << "\n";
        return e.exitCode();
    } catch (const std::exception& e) {
        // Not a transfer failure but sockfetch itself (out of memory, no threads): curl's
        // "failed to initialize" is the closest code.
        if (!cl.silent || cl.showError) std::cerr << "sockfetch: (2) " << e.what() << "\n";
        return static_cast<int>(sockchat::http::FetchCode::failedInit);
    }
}
