#include "admin_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sockchatd {
namespace {

using Status = AdminSocketResult::Status;

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), std::min(path.size(), sizeof sa.sun_path - 1));
    return sa;
}

// Whether a daemon answers at a socket path: a connect that is refused means nobody listens
// (the file is stale), one that succeeds means somebody does.
bool someoneListens(const std::string& path) {
    sockchat::net::Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return false;
    sockaddr_un sa = unixAddress(path);
    return ::connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ||
           errno == EAGAIN;  // a full backlog: somebody listens, busy
}

AdminSocketResult fail(Status status, std::string message) {
    AdminSocketResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
}

}  // namespace

AdminSocketResult openAdminSocket(const std::string& path, gid_t gid) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fail(Status::refused, path + " exists and is not a socket (" +
                                             (S_ISLNK(st.st_mode) ? "a symlink" : "not ours") +
                                             "): remove it, or set admin.socket to another path");
        if (someoneListens(path))
            return fail(Status::refused,
                        path + ": another sockchatd is running there (it answers on that socket)");
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return fail(Status::refused,
                        "cannot remove the stale socket " + path + ": " + std::strerror(errno));
    }
    sockchat::net::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fail(Status::refused, std::string("socket: ") + std::strerror(errno));
    sockaddr_un sa = unixAddress(path);
    // 0660 from the start: with the default umask the file would be 0755-ish for a moment, and a
    // later chmod leaves a window in which anyone may connect.
    mode_t old = ::umask(0117);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    int error = errno;
    ::umask(old);
    if (rc != 0) {
        Status status = error == ENOENT || error == EACCES || error == EROFS || error == EPERM
                            ? Status::unavailable
                            : Status::refused;
        return fail(status, "cannot create " + path + ": " + std::strerror(error));
    }
    // The file has our group already when admin.group is our own (the packaged unit's case,
    // whose system-call filter refuses chown): change it only when it differs.
    struct stat made {};
    bool needsGroup =
        gid != static_cast<gid_t>(-1) && (::stat(path.c_str(), &made) != 0 || made.st_gid != gid);
    if (needsGroup && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
        error = errno;
        ::unlink(path.c_str());
        return fail(Status::refused, "cannot give " + path +
                                         " its group (admin.group): " + std::strerror(error) +
                                         " (the daemon must be a member of that group)");
    }
    if (::listen(fd.get(), 16) != 0) {
        error = errno;
        ::unlink(path.c_str());
        return fail(Status::refused, "listen on " + path + ": " + std::strerror(error));
    }
    AdminSocketResult r;
    r.status = Status::listening;
    r.fd = std::move(fd);
    return r;
}

AdminSocketFile& AdminSocketFile::operator=(AdminSocketFile&& other) noexcept {
    if (this != &other) {
        path_ = std::exchange(other.path_, {});
        inode_ = std::exchange(other.inode_, 0);
    }
    return *this;
}

AdminSocketFile::~AdminSocketFile() {
    if (path_.empty()) return;
    struct stat st {};
    // Only our own file: a newer daemon may have replaced it meanwhile.
    if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode_)
        ::unlink(path_.c_str());
}

}  // namespace sockchatd
