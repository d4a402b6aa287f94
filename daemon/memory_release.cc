#include "memory_release.h"

#include <malloc.h>

namespace sockchatd {

namespace {
std::size_t heapBytes() {
    struct mallinfo2 info = ::mallinfo2();
    return info.arena + info.hblkhd;
}
}  // namespace

std::optional<MemoryReleaser::Released> MemoryReleaser::observe(std::size_t connections) {
    if (connections > peak_) peak_ = connections;
    if (peak_ - connections < kMinDrop || connections > peak_ / 2) return std::nullopt;
    peak_ = connections;
    Released released{heapBytes(), 0};
    ::malloc_trim(0);
    released.heapAfter = heapBytes();
    return released;
}

}  // namespace sockchatd
