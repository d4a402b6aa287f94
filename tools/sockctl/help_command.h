#pragma once
// `sockctl help [COMMAND]`: the help of sockctl or of one command, as `git help` and
// `systemctl help` do (the same text as `sockctl --help` / `sockctl COMMAND --help`).
#include "command.h"

namespace sockctl {

Command addHelpCommand(CLI::App& app);

}  // namespace sockctl
