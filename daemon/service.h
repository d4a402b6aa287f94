#pragma once
// The protocol side of a connection. A Service reacts to bytes and lifecycle events; the
// Connection does all socket work. One Service object per listener kind per worker, so a
// service may keep per-worker state without locks.
#include <optional>
#include <string>
#include <string_view>

namespace sockchatd {

class Connection;

class Service {
  public:
    virtual ~Service() = default;

    virtual void onOpen(Connection&) {}
    // Bytes just read from the peer. The service answers with conn.send(...).
    virtual void onData(Connection& conn, std::string_view bytes) = 0;
    virtual void onClose(Connection&, std::string_view /*reason*/) {}
    // Graceful shutdown started: last words before the output is flushed and the socket closed.
    virtual void onShutdown(Connection&) {}

    // What happens when a peer's output buffer reaches output_buffer_bytes: pause reading it
    // until it drains (true, echo), or drop it as a slow consumer (false, chat).
    virtual bool pausesOnFullOutput() const = 0;
    // A line sent to a client refused by a connection limit, if the protocol has room for one.
    virtual std::optional<std::string> refusalLine(std::string_view reason) const = 0;
};

}  // namespace sockchatd
