#include "help_command.h"

#include <iostream>
#include <memory>

#include "exit_codes.h"
#include "sockchat/cli/usage.h"

namespace sockctl {

Command addHelpCommand(CLI::App& app) {
    auto topic = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand("help", "Show this help, or the help of COMMAND");
    // A positional, not a sibling subcommand: main allows one command per command line, so
    // CLI11 gives `chat` in `sockctl help chat` to this option.
    sub->add_option("command", *topic, "the command to explain")->type_name("COMMAND");
    return {sub, [&app, topic] {
                const std::string program = app.get_name();
                if (topic->empty()) {
                    // app.help() would describe the parsed subcommand, i.e. this one.
                    std::cout << app.get_formatter()->make_help(&app, program,
                                                                CLI::AppFormatMode::Normal);
                    return kExitOk;
                }
                const CLI::App* command = nullptr;
                for (const CLI::App* candidate : app.get_subcommands({}))
                    if (candidate->check_name(*topic)) command = candidate;
                if (!command)
                    return sockchat::cli::usageError(
                        program, "unknown command " + sockchat::cli::quoteArgument(*topic),
                        program);
                std::cout << command->help(program);
                return kExitOk;
            }};
}

}  // namespace sockctl
