#include "history_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sockctl {

std::optional<std::string> historyPath(const char* xdgStateHome, const char* home) {
    std::string base;
    if (xdgStateHome && xdgStateHome[0] == '/')
        base = xdgStateHome;
    else if (home && home[0] == '/')
        base = std::string(home) + "/.local/state";
    else
        return std::nullopt;
    return base + "/sockctl/history";
}

std::optional<std::string> prepareHistoryFile(const std::string& path) {
    // Every missing directory on the way, like mkdir -p -m 0700; existing ones are left as
    // they are (~/.local may be shared with other programs).
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return "cannot create " + dir + ": " + std::strerror(errno);
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
    ::close(fd);
    return std::nullopt;
}

}  // namespace sockctl
