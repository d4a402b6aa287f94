#include "sockchat/cli/usage.h"

#include <cstdio>
#include <regex>
#include <vector>

#include "sockchat/text/quote.h"

namespace sockchat::cli {
namespace {

// Every (sub)command keeps what it cannot place, so parse() can name it.
void allowExtras(CLI::App& app) {
    app.allow_extras();
    for (CLI::App* sub : app.get_subcommands({})) allowExtras(*sub);
}

// The deepest subcommand given on the command line (the app itself if none).
const CLI::App& innermost(const CLI::App& app) {
    for (const CLI::App* sub : app.get_subcommands())
        if (sub->parsed()) return innermost(*sub);
    return app;
}

// What an argument that nothing took is: an option, a command where one is expected, or extra.
std::string describeExtra(const CLI::App& where, const std::string& arg) {
    if (arg.size() > 1 && arg.front() == '-') return "unknown option " + quoteArgument(arg);
    if (!where.get_subcommands({}).empty() && where.get_subcommands().empty())
        return "unknown command " + quoteArgument(arg);
    return "unexpected argument " + quoteArgument(arg);
}

}  // namespace

std::string quoteArgument(const std::string& arg) {
    return "'" + text::escapeForMessage(arg) + "'";
}

std::string describe(const CLI::ParseError& error) {
    const std::string what = error.what();
    std::smatch m;
    // CLI11: "--config: 1 required TEXT missing" for an option given without its value.
    static const std::regex missingValue(R"(^(\S+): \d+ required \S+ missing$)");
    if (std::regex_match(what, m, missingValue)) return "option " + m[1].str() + " needs a value";
    // CLI11: "args: At Most 2 required but received 3" for too many values or positionals.
    static const std::regex atMost(R"(^\S+: At Most (\d+) required but received \d+$)");
    if (std::regex_match(what, m, atMost)) return "too many arguments (at most " + m[1].str() + ")";
    // CLI11: "The following argument(s) was/were not expected: a b".
    static const std::regex extras(R"(^The following arguments? (?:was|were) not expected: (.*)$)");
    if (std::regex_match(what, m, extras)) {
        const std::string args = m[1].str();
        const std::string first = args.substr(0, args.find(' '));
        return (first.size() > 1 && first.front() == '-' ? "unknown option "
                                                         : "unexpected argument ") +
               quoteArgument(first);
    }
    // CLI11: "args is required", "--nick is required".
    static const std::regex required(R"(^(\S+) is required$)");
    if (std::regex_match(what, m, required)) return "missing " + m[1].str();
    return what;
}

int usageError(const std::string& program, const std::string& message,
               const std::string& helpCommand) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program.c_str(), message.c_str(),
                 helpCommand.c_str());
    return kExitUsage;
}

std::string commandPath(const CLI::App& app) {
    std::string path = app.get_name();
    for (const CLI::App* sub : app.get_subcommands())
        if (sub->parsed()) return path + " " + commandPath(*sub);
    return path;
}

std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
    allowExtras(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return usageError(app.get_name(), describe(e), commandPath(app));
    }
    auto extras = app.remaining(true);
    std::erase(extras, "--");  // the end-of-options mark is no argument of its own
    if (!extras.empty())
        return usageError(app.get_name(), describeExtra(innermost(app), extras.front()),
                          commandPath(app));
    return std::nullopt;
}

}  // namespace sockchat::cli
