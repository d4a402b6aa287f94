#include "sockchat/http/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sockchat/http/fetch_error.h"

namespace sockchat::http {

Output::Output(std::string path) : path_(std::move(path)) {
    if (path_.empty() || path_ == "-") fd_ = STDOUT_FILENO;
}

void Output::open() {
    file_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!file_)
        throw FetchError(FetchCode::writeError,
                         "Failed to open the file " + path_ + ": " + std::strerror(errno));
    fd_ = file_.get();
}

void Output::write(std::string_view data) {
    if (data.empty()) return;
    if (fd_ < 0) open();
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw FetchError(FetchCode::writeError,
                             std::string("Failure writing output to destination: ") +
                                 (n < 0 ? std::strerror(errno) : "nothing written"));
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Output::finish() {
    if (fd_ < 0) open();
}

}  // namespace sockchat::http
