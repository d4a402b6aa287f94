#include "sockchat/chat/line_splitter.h"

namespace sockchat::chat {

void LineSplitter::feed(std::string_view bytes, const LineHandler& onLine,
                        const OverlongHandler& onOverlong) {
    while (!bytes.empty()) {
        std::size_t nl = bytes.find('\n');
        std::string_view chunk = bytes.substr(0, nl);  // whole rest when no newline
        bool complete = nl != std::string_view::npos;
        bytes.remove_prefix(complete ? nl + 1 : bytes.size());

        if (discarding_) {
            if (complete) discarding_ = false;
            continue;
        }
        partial_.append(chunk);
        if (!complete) {
            // One byte of slack: a full-length line may still be waiting for its "\r\n".
            if (partial_.size() > max_ + 1) {
                partial_.clear();
                discarding_ = true;
                onOverlong();
            }
            continue;
        }
        std::string line;
        line.swap(partial_);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > max_)
            onOverlong();
        else
            onLine(line);
    }
}

void LineSplitter::flushPartial(const LineHandler& onLine, const OverlongHandler& onOverlong) {
    if (discarding_) {
        discarding_ = false;
        return;
    }
    if (partial_.empty()) return;
    std::string line;
    line.swap(partial_);
    if (line.back() == '\r') line.pop_back();
    if (line.size() > max_)
        onOverlong();
    else
        onLine(line);
}

}  // namespace sockchat::chat
