#include "admin_format.h"

#include <cstdio>
#include <vector>

#include "human_units.h"
#include "text_table.h"

namespace sockctl::admin {
namespace {

using Align = TextTable::Align;

// Status labels are padded to this width so that their values line up.
constexpr std::size_t kLabelWidth = 10;

const Json& field(const Json& object, const char* key) {
    static const Json kNull;
    if (!object.is_object()) return kNull;
    auto it = object.find(key);
    return it == object.end() ? kNull : *it;
}

std::string text(const Json& object, const char* key) {
    const Json& value = field(object, key);
    return value.is_string() ? printable(value.get_ref<const std::string&>()) : std::string();
}

// A string field, or "-" when it is null or missing (an echo client has no nick).
std::string textOrDash(const Json& object, const char* key) {
    std::string value = text(object, key);
    return value.empty() ? "-" : value;
}

double number(const Json& object, const char* key) {
    const Json& value = field(object, key);
    return value.is_number() ? value.get<double>() : 0.0;
}

// A count as the daemon sent it: integers exactly, anything else rounded.
std::string count(const Json& value) {
    if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", value.is_number() ? value.get<double>() : 0.0);
    return buf;
}

std::string count(const Json& object, const char* key) {
    return count(field(object, key));
}

const Json& array(const Json& object, const char* key) {
    static const Json kEmpty = Json::array();
    const Json& value = field(object, key);
    return value.is_array() ? value : kEmpty;
}

std::string labelled(const std::string& label, const std::string& value) {
    std::string padded = label;
    padded.resize(std::max(kLabelWidth, label.size() + 1), ' ');
    return padded + value + "\n";
}

std::string listenerTable(const Json& listeners, bool bold) {
    auto tlsOf = [](const Json& l) -> const Json* {
        auto it = l.find("tls");
        return it != l.end() && it->is_object() ? &*it : nullptr;
    };
    // The TLS column only where some listener speaks TLS: the certificate's serial and expiry,
    // what an operator checks after a renewal and a reload.
    const bool anyTls = std::any_of(listeners.begin(), listeners.end(),
                                    [&](const Json& l) { return tlsOf(l) != nullptr; });
    std::vector<TextTable::Column> columns{{"SERVICE"}, {"ADDRESS"}, {"CONNECTIONS", Align::right}};
    if (anyTls) columns.push_back({"TLS"});
    TextTable table(columns);
    for (const Json& l : listeners) {
        std::vector<std::string> row{text(l, "service"), text(l, "address"),
                                     count(l, "connections")};
        if (anyTls) {
            const Json* tls = tlsOf(l);
            row.push_back(tls ? "serial " + text(*tls, "serial") + ", until " +
                                    text(*tls, "not_after")
                              : "-");
        }
        table.addRow(row);
    }
    return table.empty() ? labelled("listeners", "none") : table.render(bold);
}

// "slow consumer 1, kick 2": the reasons that dropped any connection, in the daemon's order.
std::string droppedLine(const Json& dropped) {
    std::string out;
    if (dropped.is_object())
        for (const auto& [reason, n] : dropped.items()) {
            if (!n.is_number() || n.get<double>() == 0) continue;
            if (!out.empty()) out += ", ";
            out += printable(reason) + " " + count(n);
        }
    return out.empty() ? "none" : out;
}

}  // namespace

std::string printable(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        // C1 controls (U+0080..U+009F) are C2 80..C2 9F in UTF-8; some terminals obey them too.
        if (c == 0xC2 && i + 1 < in.size() && static_cast<unsigned char>(in[i + 1]) <= 0x9F &&
            static_cast<unsigned char>(in[i + 1]) >= 0x80) {
            out += '?';
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            out += '?';
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string formatStatus(const Json& reply, bool bold) {
    std::string out = "sockchatd " + text(reply, "version") + "  pid " + count(reply, "pid") +
                      "  up " + humanDuration(number(reply, "uptime_seconds")) + "  threads " +
                      count(reply, "threads") + "  log level " + text(reply, "log_level") + "\n";
    const std::string config = text(reply, "config");
    out += labelled("config", config.empty() ? "(built-in default)" : config);
    if (const std::string error = text(reply, "reload_error"); !error.empty())
        out += labelled("", "last reload failed: " + error);
    out += listenerTable(array(reply, "listeners"), bold);

    const Json& totals = field(reply, "totals");
    out += labelled(
        "totals", count(totals, "accepted") + " accepted, " + count(totals, "refused") +
                      " refused, " + humanSize(number(totals, "bytes_in")) + " in, " +
                      humanSize(number(totals, "bytes_out")) + " out, " +
                      count(totals, "chat_messages") +
                      (number(totals, "chat_messages") == 1 ? " chat message" : " chat messages"));
    out += labelled("dropped", droppedLine(field(totals, "dropped")));
    out += labelled("rooms", count(reply, "rooms"));
    if (const Json& cluster = field(reply, "cluster"); cluster.is_object())
        out +=
            labelled("cluster", text(cluster, "state") + " (node " + text(cluster, "node") + ")");
    return out;
}

std::string formatClients(const Json& reply, bool bold) {
    TextTable table({{"ID"},
                     {"PEER"},
                     {"SERVICE"},
                     {"NICK"},
                     {"ROOM"},
                     {"CONNECTED", Align::right},
                     {"IN", Align::right},
                     {"OUT", Align::right},
                     {"QUEUED", Align::right}});
    for (const Json& c : array(reply, "clients")) {
        // The current room, and how many others the client is in ("#lobby +1").
        std::string room = textOrDash(c, "room");
        if (std::size_t rooms = array(c, "rooms").size(); rooms > 1)
            room += " +" + std::to_string(rooms - 1);
        table.addRow({text(c, "id"), text(c, "peer"), text(c, "service"), textOrDash(c, "nick"),
                      room, humanDuration(number(c, "connected_seconds")),
                      humanSize(number(c, "bytes_in")), humanSize(number(c, "bytes_out")),
                      humanSize(number(c, "output_queued"))});
    }
    return table.empty() ? "no clients\n" : table.render(bold);
}

std::string formatRooms(const Json& reply, bool bold) {
    TextTable table({{"ROOM"},
                     {"MEMBERS", Align::right},
                     {"MESSAGES", Align::right},
                     {"HISTORY", Align::right}});
    for (const Json& r : array(reply, "rooms"))
        table.addRow(
            {text(r, "name"), count(r, "members"), count(r, "messages"), count(r, "history")});
    return table.empty() ? "no rooms\n" : table.render(bold);
}

std::string formatKick(const Json& reply) {
    std::string out;
    for (const Json& k : array(reply, "kicked")) {
        out += "kicked " + text(k, "id");
        if (const std::string nick = text(k, "nick"); !nick.empty()) out += " (" + nick + ")";
        out += "\n";
    }
    return out.empty() ? "kicked nobody\n" : out;
}

std::string formatSay(const Json& reply) {
    const std::string n = count(reply, "delivered");
    return "delivered to " + n + (n == "1" ? " client\n" : " clients\n");
}

std::string formatReload(const Json& reply) {
    std::string out;
    for (const Json& change : array(reply, "changes"))
        if (change.is_string()) out += "changed  " + printable(change.get<std::string>()) + "\n";
    for (const Json& change : array(reply, "restart_needed"))
        if (change.is_string())
            out += "restart needed for  " + printable(change.get<std::string>()) + "\n";
    return out.empty() ? "no changes\n" : out;
}

std::string formatLogLevel(const Json& reply) {
    return "log level " + text(reply, "level") + " (was " + text(reply, "was") + ")\n";
}

std::string formatMetrics(const Json& reply) {
    // As is: the Prometheus exposition is meant for machines and has no control characters.
    const Json& value = field(reply, "text");
    std::string out = value.is_string() ? value.get<std::string>() : std::string();
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

}  // namespace sockctl::admin
