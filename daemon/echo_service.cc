#include "echo_service.h"

#include "connection.h"

namespace sockchatd {

void EchoService::onData(Connection& conn, std::string_view bytes) {
    if (prefix_.empty()) {
        conn.send(bytes);
        return;
    }
    scratch_.assign(prefix_);
    scratch_.append(bytes);
    conn.send(scratch_);
}

}  // namespace sockchatd
