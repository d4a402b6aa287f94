#pragma once
// `sockctl echo [HOST[:PORT]] TEXT`: one round trip through sockchatd's echo service.
#include "command.h"

namespace sockctl {

Command addEchoCommand(CLI::App& app, const GlobalOptions& globals);

}  // namespace sockctl
