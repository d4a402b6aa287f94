#pragma once
// sockfetch's command line: curl's option names and forms (-sS, -o FILE, -oFILE, repeated -H,
// --max-time=2.5, options after the URL), turned into FetchOptions.
#include <optional>
#include <string>

#include "sockchat/http/fetcher.h"

namespace sockfetch {

struct CommandLine {
    sockchat::http::FetchOptions fetch;
    std::string url;
    std::string outputPath;  // empty: stdout
    bool verbose = false;
    bool silent = false;     // -s: no error message
    bool showError = false;  // -S: error messages even with -s
};

// What main should do after parsing: run with the options, or exit with a code (help and
// version were printed, or the command line was wrong and a message was printed).
struct ParseResult {
    std::optional<CommandLine> commandLine;
    int exitCode = 0;
};

ParseResult parseCommandLine(int argc, char** argv);

}  // namespace sockfetch
