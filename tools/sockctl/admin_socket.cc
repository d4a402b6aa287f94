#include "admin_socket.h"

#include <yaml-cpp/yaml.h>

#include "exit_codes.h"
#include "listener_lookup.h"
#include "sockchat/config/loader.h"

namespace sockctl::admin {

SocketLookup findAdminSocket(const std::string& socketOption, const std::string& configPath) {
    if (!socketOption.empty()) return {socketOption, kExitOk, {}, {}};
    const std::string file = configFileToRead(configPath);
    if (file.empty()) return {sockchat::config::Admin{}.socket, kExitOk, {}, {}};
    auto loaded = sockchat::config::loadConfigFile(file);
    if (!loaded.config) {
        // An operator who just broke the file still needs the running daemon: read admin.socket
        // alone, leniently; give up only when even that is not there.
        try {
            YAML::Node admin = YAML::LoadFile(file)["admin"];
            std::string socket = admin && admin["socket"] && admin["socket"].IsScalar()
                                     ? admin["socket"].as<std::string>()
                                     : sockchat::config::Admin{}.socket;
            if (!socket.empty() && socket.front() == '/')
                return {socket,
                        kExitOk,
                        {},
                        loaded.error->toString() + " (asking the running daemon at " + socket +
                            " anyway)"};
        } catch (const std::exception&) {
        }
        return {{}, kExitConfig, loaded.error->toString(), {}};
    }
    const std::string& socket = loaded.config->admin.socket;
    if (socket.empty())
        return {{},
                kExitUnavailable,
                "the admin socket is off in " + file + " (admin.socket: \"\")",
                {}};
    return {socket, kExitOk, {}, {}};
}

}  // namespace sockctl::admin
