#pragma once
// The admin replies (daemon/admin/PROTOCOL.md) as text for a person: labelled lines for status,
// aligned tables for clients, rooms and listeners, one line per change for reload. Pure: JSON in,
// text out, so that every rendering is unit-tested without a daemon.
//
// Fields are read leniently: a missing or mistyped field shows as empty or 0 rather than failing
// the whole command, so a daemon newer or older than this sockctl is still readable (and --json
// shows the reply as it is). Text from the daemon (nicks, room names, errors) has its control
// characters replaced, so a reply can never drive the operator's terminal.
#include <nlohmann/json.hpp>
#include <string>

namespace sockctl::admin {

// Ordered: the daemon's field order (e.g. of the dropped-connection reasons) is kept.
using Json = nlohmann::ordered_json;

std::string formatStatus(const Json& reply, bool bold);
std::string formatClients(const Json& reply, bool bold);  // "no clients" when there are none
std::string formatRooms(const Json& reply, bool bold);    // "no rooms" when there are none
std::string formatKick(const Json& reply);                // "kicked c7 (alice)"
std::string formatSay(const Json& reply);                 // "delivered to 3 clients"
std::string formatReload(const Json& reply);              // each change, or "no changes"
std::string formatLogLevel(const Json& reply);            // "log level debug (was info)"
std::string formatMetrics(const Json& reply);             // the text as is, ending in "\n"

// text with every control character (C0, DEL, C1) replaced by '?'.
std::string printable(std::string_view text);

}  // namespace sockctl::admin
