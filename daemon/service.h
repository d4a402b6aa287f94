#pragma once
// The protocol side of a connection. A Service reacts to bytes and lifecycle events; the
// Connection does all socket work. One Service object per listener kind per worker, so a
// service may keep per-worker state without locks.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/log/logger.h"

namespace sockchatd {

class Connection;

class Service {
  public:
    virtual ~Service() = default;

    // A new connection, before its connect event is logged: set up per-connection state that
    // describe() reports. Nothing may be sent yet.
    virtual void onAccept(Connection&) {}
    // After the connect event: greet the peer.
    virtual void onOpen(Connection&) {}
    // Bytes just read from the peer. The service answers with conn.send(...).
    virtual void onData(Connection& conn, std::string_view bytes) = 0;
    // The peer will send nothing more (it shut down its side); the connection closes once
    // its pending output is written.
    virtual void onEndOfInput(Connection&) {}
    virtual void onClose(Connection&, std::string_view /*reason*/) {}
    // A graceful close started (shutdown, idle timeout, a dropped slow consumer, /quit): last
    // words before the output is flushed and the socket closed. `reason` is the disconnect
    // event's reason.
    virtual void onClosing(Connection&, std::string_view /*reason*/) {}

    // Whether the service tells the connection what counts as activity for idle_timeout
    // (Connection::noteActive: chat, a complete line) instead of every byte read counting (echo).
    // Either way, output the peer acknowledged counts too: a reader is not idle.
    virtual bool reportsActivity() const { return false; }
    // What happens when a peer's output buffer reaches output_buffer_bytes: pause reading it
    // until it drains (true, echo), or drop it as a slow consumer (false, chat).
    virtual bool pausesOnFullOutput() const = 0;
    // Service fields for the connection's connect and disconnect events (chat: nick, room), so
    // `journalctl SOCKCHAT_NICK=alice` finds when alice came and went.
    virtual void describe(const Connection&, std::vector<sockchat::log::Field>& /*fields*/) const {}
    // A line sent to a client refused by a connection limit, if the protocol has room for one.
    virtual std::optional<std::string> refusalLine(std::string_view reason) const = 0;
};

}  // namespace sockchatd
