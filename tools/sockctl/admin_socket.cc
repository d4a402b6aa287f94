#include "admin_socket.h"

#include "exit_codes.h"
#include "listener_lookup.h"
#include "sockchat/config/loader.h"

namespace sockctl::admin {

SocketLookup findAdminSocket(const std::string& socketOption, const std::string& configPath) {
    if (!socketOption.empty()) return {socketOption, kExitOk, {}};
    const std::string file = configFileToRead(configPath);
    if (file.empty()) return {sockchat::config::Admin{}.socket, kExitOk, {}};
    auto loaded = sockchat::config::loadConfigFile(file);
    if (!loaded.config) return {{}, kExitConfig, loaded.error->toString()};
    const std::string& socket = loaded.config->admin.socket;
    if (socket.empty())
        return {
            {}, kExitUnavailable, "the admin socket is off in " + file + " (admin.socket: \"\")"};
    return {socket, kExitOk, {}};
}

}  // namespace sockctl::admin
