#include "pipe_frontend.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace sockctl {

void PipeFrontend::addPollFds(std::vector<pollfd>& fds, bool acceptInput) {
    // fd -1: poll ignores the entry, so stdin stays unread (and the lines queued in the pipe)
    // until the session can send them.
    fds.push_back({acceptInput && !eof_ ? STDIN_FILENO : -1, POLLIN, 0});
}

std::vector<ChatFrontend::Input> PipeFrontend::handle(const pollfd* fds, std::size_t count) {
    std::vector<Input> inputs;
    if (count < 1 || fds[0].fd < 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        return inputs;
    // One read per wake-up (stdin is left blocking: it is shared with whoever started us, and
    // poll said a read will not block).
    char buf[65536];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return inputs;
    if (n > 0) pending_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        inputs.push_back({Input::Kind::line, std::move(line)});
    }
    if (n <= 0) {
        // End of input (or an unreadable stdin): a last line without '\n' still counts.
        if (!pending_.empty()) inputs.push_back({Input::Kind::line, std::move(pending_)});
        pending_.clear();
        eof_ = true;
        inputs.push_back({Input::Kind::endOfInput, {}});
    }
    return inputs;
}

void PipeFrontend::show(std::string_view lines) {
    std::fwrite(lines.data(), 1, lines.size(), stdout);
    std::fputc('\n', stdout);
    // Line by line: a script reading our stdout should see each event as it happens.
    std::fflush(stdout);
}

void PipeFrontend::status(std::string_view text) {
    std::fprintf(stderr, "sockctl: %.*s\n", static_cast<int>(text.size()), text.data());
}

}  // namespace sockctl
