#include "listener_choice.h"

namespace sockctl {

const sockchat::config::Listener* chooseListener(
    const std::vector<sockchat::config::Listener>& listeners, sockchat::config::Service service,
    bool preferTls) {
    const sockchat::config::Listener* first = nullptr;
    for (const auto& l : listeners) {
        if (l.service != service) continue;
        if (!preferTls || l.tls) return &l;
        if (!first) first = &l;
    }
    return first;
}

}  // namespace sockctl
