#pragma once
// Where the admin socket is: --socket PATH, else admin.socket of the config sockctl reads (-c
// FILE, else the system config if it exists), else the daemon's default. The same config the
// daemon runs with, so `sockctl status` just works where sockchatd does.
#include <string>

namespace sockctl::admin {

struct SocketLookup {
    std::string path;   // set when exitCode is 0
    int exitCode = 0;   // 78: the config is invalid; 69: the config turns the admin socket off
    std::string error;  // the message (without "sockctl: "), naming the file
    // Set when the config is invalid but its admin.socket could still be read: the daemon runs
    // with the config it loaded earlier, and `sockctl reload` must reach it to hear why the new
    // one is refused.
    std::string warning;
};

SocketLookup findAdminSocket(const std::string& socketOption, const std::string& configPath);

}  // namespace sockctl::admin
