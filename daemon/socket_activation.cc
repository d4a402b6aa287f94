#include "socket_activation.h"

#include <fcntl.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "sockchat/net/socket.h"

namespace sockchatd {

ActivationResult takeSystemdSockets() {
    ActivationResult result;
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        result.error = std::string("socket activation: ") + std::strerror(-n);
        return result;
    }
    for (int i = 0; i < n; ++i) {
        sockchat::net::Fd fd(SD_LISTEN_FDS_START + i);
        std::string name = names && names[i] ? names[i] : "";
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
        if (result.error.empty()) {
            if (name != "echo" && name != "chat")
                result.error = "socket activation: passed socket " + std::to_string(fd.get()) +
                               " has FileDescriptorName \"" + name +
                               "\"; expected \"echo\" or \"chat\"";
            else if (!sockchat::net::isListeningStream(fd.get()))
                result.error = "socket activation: passed socket \"" + name +
                               "\" is not a listening TCP stream socket";
            else
                result.sockets.push_back({std::move(fd), name == "echo"
                                                             ? sockchat::config::Service::echo
                                                             : sockchat::config::Service::chat});
        }
    }
    if (names) {
        for (int i = 0; i < n; ++i) std::free(names[i]);
        std::free(names);
    }
    return result;
}

}  // namespace sockchatd
