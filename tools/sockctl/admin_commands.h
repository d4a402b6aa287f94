#pragma once
// The operator's commands, spoken over sockchatd's admin socket (daemon/admin/PROTOCOL.md):
// status, clients, rooms, kick, say, reload, log-level, stop, metrics. Each is a CLI11
// subcommand that builds one request, sends it (admin_client.h) and prints the reply for a
// person (admin_format.h) or, with --json, as it came.
#include <vector>

#include "command.h"

namespace sockctl {

void addAdminCommands(CLI::App& app, const GlobalOptions& globals, std::vector<Command>& commands);

}  // namespace sockctl
