#pragma once
// Creating the admin socket's file safely. A path left by a crashed daemon is replaced; one where
// another daemon still answers, or anything that is not a socket (a file, a symlink someone
// planted), is never removed or followed: that is an error for the operator to look at.
#include <sys/types.h>

#include <string>

#include "sockchat/net/fd.h"

namespace sockchatd {

struct AdminSocketResult {
    enum class Status {
        listening,    // fd is the listener
        unavailable,  // the directory is missing or not ours to write: run without (a warning)
        refused,      // something at the path we must not touch, or a live daemon: exit
    };
    Status status = Status::unavailable;
    sockchat::net::Fd fd;
    std::string message;  // why, for the log (unavailable, refused)
};

// Binds and listens on `path` (non-blocking, close-on-exec), mode 0660 and group `gid`
// (-1: keep the creator's). The mode is set before anyone can connect (umask around bind).
AdminSocketResult openAdminSocket(const std::string& path, gid_t gid);

// Removes the socket file at shutdown, if it is still the one we made (same inode).
class AdminSocketFile {
  public:
    AdminSocketFile() = default;
    AdminSocketFile(std::string path, ino_t inode) : path_(std::move(path)), inode_(inode) {}
    AdminSocketFile(AdminSocketFile&& other) noexcept { *this = std::move(other); }
    AdminSocketFile& operator=(AdminSocketFile&& other) noexcept;
    ~AdminSocketFile();

  private:
    std::string path_;
    ino_t inode_ = 0;
};

}  // namespace sockchatd
