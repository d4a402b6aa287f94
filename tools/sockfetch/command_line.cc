#include "command_line.h"

#include <http_parser.h>
#include <openssl/opensslv.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "sockchat/cli/usage.h"
#include "sockchat/http/fetch_error.h"

namespace sockfetch {
namespace {

using sockchat::http::FetchCode;
using sockchat::http::FetchError;

constexpr int kUsageError = static_cast<int>(FetchCode::failedInit);  // curl's exit 2

std::string versionText() {
    return std::string("sockfetch ") + SOCKCHAT_VERSION + " (" + OPENSSL_VERSION_TEXT +
           ", http-parser " + std::to_string(HTTP_PARSER_VERSION_MAJOR) + "." +
           std::to_string(HTTP_PARSER_VERSION_MINOR) + "." +
           std::to_string(HTTP_PARSER_VERSION_PATCH) + ")\nProtocols: http https";
}

constexpr const char* kFooter =
    R"(Exit codes (curl's): 0 ok, 1 unsupported protocol, 2 bad command line,
3 malformed URL, 6 cannot resolve host, 7 cannot connect, 8 weird server reply,
18 partial body, 22 HTTP error with --fail, 23 write error, 28 timeout,
35 TLS handshake failure, 47 too many redirects, 52 empty reply, 55 send failure,
56 receive failure, 60 certificate problem, 77 bad --cacert file.)";

// Seconds as curl takes them: decimals allowed, not negative.
CLI::Validator nonNegative() {
    return CLI::Range(0.0, 1e9).description("");
}

}  // namespace

ParseResult parseCommandLine(int argc, char** argv) {
    CommandLine cl;
    std::vector<std::string> headerLines;
    double connectTimeout = -1;
    double maxTime = -1;

    CLI::App app("Fetch an http:// or https:// URL over sockchat's own sockets, the curl way.",
                 "sockfetch");
    app.footer(kFooter);
    app.set_help_flag("-h,--help", "Show this help and exit");
    app.set_version_flag("-V,--version", versionText(), "Show the version and exit");
    app.add_option("url", cl.url, "http:// or https:// URL (no scheme: http)");
    app.add_option("-o,--output", cl.outputPath, "Write the body to FILE instead of stdout")
        ->type_name("FILE");
    app.add_flag("-i,--include", cl.fetch.includeHeaders,
                 "Print the response head(s) before the body");
    app.add_flag("-I,--head", cl.fetch.headOnly, "Send HEAD and print the response head(s) only");
    app.add_flag("-v,--verbose", cl.verbose, "Show the connection and both heads on stderr");
    app.add_flag("-L,--location", cl.fetch.followRedirects, "Follow 301/302/303/307/308 redirects");
    app.add_option("--max-redirs", cl.fetch.maxRedirects,
                   "Most redirects to follow with -L (default 50, -1: no limit)")
        ->type_name("NUM");
    app.add_option("--connect-timeout", connectTimeout,
                   "Seconds allowed for each connection (resolve, TCP, TLS)")
        ->type_name("SECONDS")
        ->check(nonNegative());
    app.add_option("-m,--max-time", maxTime, "Seconds allowed for the whole transfer")
        ->type_name("SECONDS")
        ->check(nonNegative());
    app.add_flag(
        "-k,--insecure", [&](std::int64_t) { cl.fetch.tls.verifyPeer = false; },
        "Do not verify the server's certificate or name");
    app.add_option("--cacert", cl.fetch.tls.caFile,
                   "Verify the server against the CA certificates in FILE (PEM)")
        ->type_name("FILE");
    app.add_flag("-f,--fail", cl.fetch.failOnHttpError,
                 "HTTP status >= 400: print no body, exit 22");
    // curl needs -g for "[::1]" URLs because it globs; sockfetch never globs, so scripts that
    // pass -g work unchanged.
    app.add_flag("-g,--globoff")
        ->description("Accepted for curl compatibility (sockfetch does no globbing)");
    app.add_flag("-s,--silent", cl.silent, "Print no error message");
    app.add_flag("-S,--show-error", cl.showError, "Print error messages even with -s");
    // One value per -H, however many -H: without expected(1) a header would swallow the URL.
    app.add_option("-H,--header", headerLines,
                   "Extra header 'Name: value' (repeatable); "
                   "'Name:' removes a default, 'Name;' sends it empty")
        ->type_name("LINE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return {std::nullopt, 0};
    } catch (const CLI::CallForVersion& e) {
        std::cout << e.what() << "\n";
        return {std::nullopt, 0};
    } catch (const CLI::ParseError& e) {
        std::cerr << "sockfetch: " << sockchat::cli::describe(e) << "\n"
                  << "sockfetch: try 'sockfetch --help' for more information\n";
        return {std::nullopt, kUsageError};
    }

    const bool showErrors = !cl.silent || cl.showError;
    if (cl.url.empty()) {
        if (showErrors)
            std::cerr << "sockfetch: no URL specified!\n"
                      << "sockfetch: try 'sockfetch --help' for more information\n";
        return {std::nullopt, kUsageError};
    }
    try {
        for (const auto& line : headerLines)
            cl.fetch.headers.push_back(sockchat::http::parseUserHeader(line));
    } catch (const FetchError& e) {
        if (showErrors) std::cerr << "sockfetch: (" << e.exitCode() << ") " << e.what() << "\n";
        return {std::nullopt, e.exitCode()};
    }
    if (connectTimeout >= 0) cl.fetch.connectTimeout = connectTimeout;
    if (maxTime > 0) cl.fetch.maxTime = maxTime;  // 0 means "no limit", as in curl
    if (connectTimeout == 0) cl.fetch.connectTimeout.reset();
    return {std::move(cl), 0};
}

}  // namespace sockfetch
