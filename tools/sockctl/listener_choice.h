#pragma once
// Which of the config's listeners sockctl talks to for a service: pure, so the unit tests can
// check the choice without files or sockets (listener_lookup.cc reads the config around it).
#include <vector>

#include "sockchat/config/config.h"

namespace sockctl {

// The first listener of `service` (the daemon lists them in config order), or with preferTls
// (--tls) the first of them that speaks TLS, falling back to the first one when none does (the
// user's --tls then applies to it). nullptr when the config has none for the service.
const sockchat::config::Listener* chooseListener(
    const std::vector<sockchat::config::Listener>& listeners, sockchat::config::Service service,
    bool preferTls);

}  // namespace sockctl
