#include "sockchat/http/trace.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace sockchat::http {
namespace {

// Diagnostics are best effort: a closed stderr must not turn into a failed download.
void writeBestEffort(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void Trace::info(std::string_view line) const {
    if (!enabled_) return;
    std::string out = "* ";
    out.append(line).append("\n");
    writeBestEffort(fd_, out);
}

void Trace::requestHead(std::string_view head) const {
    prefixed("> ", head);
}
void Trace::responseHead(std::string_view head) const {
    prefixed("< ", head);
}

void Trace::prefixed(std::string_view prefix, std::string_view block) const {
    if (!enabled_) return;
    std::string out;
    // One output line per header line, CR LF or bare LF, without the line ending itself; the
    // empty line that ends a head is shown as a bare prefix, as curl does.
    while (!block.empty()) {
        auto end = block.find('\n');
        auto line = block.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.append(prefix).append(line).append("\n");
        block = end == std::string_view::npos ? std::string_view() : block.substr(end + 1);
    }
    writeBestEffort(fd_, out);
}

}  // namespace sockchat::http
