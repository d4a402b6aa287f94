#include "sockchat/redis/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sockchat::redis {

namespace {

constexpr std::size_t kMaxFileBytes = 64 * 1024;

std::optional<Credentials> failWith(std::string* error, const std::string& path,
                                    const std::string& reason) {
    if (error != nullptr) *error = path + ": " + reason;
    return std::nullopt;
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

}  // namespace

std::optional<Credentials> readCredentials(const std::string& path, std::string* error) {
    // O_NONBLOCK: a FIFO put in its place must not hang the startup (it is refused below).
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0)
        return failWith(error, path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return failWith(error, path, std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return failWith(error, path, "not a regular file");
    if ((st.st_mode & S_IROTH) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return failWith(error, path,
                        std::string("is readable by others (mode ") + mode +
                            "): the secret must not be; chmod o-r it");
    }
    std::string text;
    char buf[4096];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return failWith(error, path, std::string("cannot read: ") + std::strerror(errno));
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileBytes)
            return failWith(error, path, "larger than 64KiB: not a password file");
    }
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.empty()) return failWith(error, path, "is empty");
    if (text.find('\n') != std::string::npos)
        return failWith(error, path, "holds more than one line (expected SECRET or USER:SECRET)");
    Credentials credentials;
    std::size_t colon = text.find(':');
    if (colon == std::string::npos) {
        credentials.password = std::move(text);
        return credentials;
    }
    credentials.username = text.substr(0, colon);
    credentials.password = text.substr(colon + 1);
    if (credentials.username.empty())
        return failWith(error, path, "empty user name before the ':' (expected USER:SECRET)");
    if (credentials.password.empty())
        return failWith(error, path, "empty password after the ':' (expected USER:SECRET)");
    return credentials;
}

}  // namespace sockchat::redis
