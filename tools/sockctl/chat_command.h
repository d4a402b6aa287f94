#pragma once
// `sockctl chat [HOST[:PORT]] [--nick N] [--room R] [--no-color] [--json] [--no-reconnect]`.
#include "command.h"

namespace sockctl {

Command addChatCommand(CLI::App& app, const GlobalOptions& globals);

}  // namespace sockctl
