#include "renderer.h"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "mention.h"
#include "sockchat/chat/event.h"
#include "sockchat/chat/names.h"

namespace sockctl {
namespace {

constexpr const char* kReset = "\x1b[0m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kYellow = "\x1b[33m";
// Our nick in someone else's text: bold reverse video, which no nick colour uses.
constexpr const char* kHighlight = "\x1b[1;7m";

// Twelve colours that read on dark and light backgrounds alike (no black, white or grey).
constexpr const char* kNickColours[] = {"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m",
                                        "\x1b[35m", "\x1b[36m", "\x1b[91m", "\x1b[92m",
                                        "\x1b[93m", "\x1b[94m", "\x1b[95m", "\x1b[96m"};

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return false;
    for (std::size_t i = pos; i < pos + n; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int number(std::string_view s, std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}

std::string hhmm(std::time_t t) {
    std::tm local{};
    ::localtime_r(&t, &local);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", local.tm_hour, local.tm_min);
    return buf;
}

}  // namespace

std::time_t eventTime(std::string_view ts) {
    // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
    if (!(digits(ts, 0, 4) && ts.size() >= 19 && ts[4] == '-' && digits(ts, 5, 2) && ts[7] == '-' &&
          digits(ts, 8, 2) && (ts[10] == 'T' || ts[10] == 't' || ts[10] == ' ') &&
          digits(ts, 11, 2) && ts[13] == ':' && digits(ts, 14, 2) && ts[16] == ':' &&
          digits(ts, 17, 2)))
        return std::time(nullptr);
    std::tm utc{};
    utc.tm_year = number(ts, 0, 4) - 1900;
    utc.tm_mon = number(ts, 5, 2) - 1;
    utc.tm_mday = number(ts, 8, 2);
    utc.tm_hour = number(ts, 11, 2);
    utc.tm_min = number(ts, 14, 2);
    utc.tm_sec = number(ts, 17, 2);
    std::size_t pos = 19;
    if (pos < ts.size() && ts[pos] == '.')
        for (++pos; pos < ts.size() && ts[pos] >= '0' && ts[pos] <= '9';) ++pos;
    long offset = 0;
    if (pos < ts.size() && (ts[pos] == '+' || ts[pos] == '-') && digits(ts, pos + 1, 2) &&
        digits(ts, pos + 4, 2) && ts[pos + 3] == ':') {
        offset = (number(ts, pos + 1, 2) * 60L + number(ts, pos + 4, 2)) * 60L;
        if (ts[pos] == '-') offset = -offset;
    }
    return ::timegm(&utc) - offset;
}

std::string clockTime(std::string_view ts) {
    return hhmm(eventTime(ts));
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == 0x1b) {
            // ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), or ESC + one byte.
            if (i + 1 < text.size() && text[i + 1] == '[') {
                i += 2;
                while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e)) ++i;
            } else if (i + 1 < text.size() && text[i + 1] == ']') {
                i += 2;
                while (i < text.size() && text[i] != '\a' &&
                       !(text[i] == 0x1b && i + 1 < text.size() && text[i + 1] == '\\'))
                    ++i;
                if (i < text.size() && text[i] == 0x1b) ++i;
            } else {
                ++i;
            }
            continue;
        }
        if (c == '\t') {
            out.push_back(' ');
            continue;
        }
        if (c < 0x20 || c == 0x7f) continue;
        // C1 controls are U+0080..U+009F, i.e. 0xC2 0x80..0x9F in UTF-8.
        if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
            static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            ++i;
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

std::string Renderer::nickColour(std::string_view nick) {
    // FNV-1a over the lower-cased nick: nicks are unique ignoring case, so Alice and alice (the
    // same person after a /nick) keep one colour, in this session and every other.
    std::uint32_t h = 2166136261u;
    for (char c : nick) {
        h ^= static_cast<unsigned char>(lower(c));
        h *= 16777619u;
    }
    return kNickColours[h % (sizeof kNickColours / sizeof kNickColours[0])];
}

std::string Renderer::style(const char* sgr, std::string_view text) const {
    if (!colour_) return std::string(text);
    return sgr + std::string(text) + kReset;
}

std::string Renderer::nick(std::string_view name) const {
    std::string clean = printable(name);
    if (!colour_) return clean;
    return nickColour(clean) + clean + kReset;
}

std::string Renderer::dim(std::string_view text) const {
    return style(kDim, text);
}

std::string Renderer::stamp(std::time_t t) const {
    return "[" + hhmm(t) + "] ";
}

std::string Renderer::dated(std::time_t t, std::string line) {
    if (line.empty()) return line;
    if (auto marker = days_.before(t)) return dim(*marker) + "\n" + line;
    return line;
}

std::string Renderer::body(std::string_view raw, std::string_view self, bool* mentioned) const {
    std::string text = printable(raw);
    auto spans = findMentions(text, self);
    *mentioned = !spans.empty();
    if (!colour_ || spans.empty()) return text;
    std::string out;
    std::size_t done = 0;
    for (auto [begin, end] : spans) {
        out +=
            text.substr(done, begin - done) + kHighlight + text.substr(begin, end - begin) + kReset;
        done = end;
    }
    return out + text.substr(done);
}

std::string Renderer::render(const ChatEvent& e, std::string_view self) {
    std::time_t t = eventTime(e.ts);
    bool ring = false;
    std::string line = eventLine(e, self, stamp(t), &ring);
    if (ring && bell_ && !line.empty()) line += '\a';
    return dated(t, std::move(line));
}

std::string Renderer::eventLine(const ChatEvent& e, std::string_view self, const std::string& time,
                                bool* ring) const {
    const std::string text = printable(e.text);
    const std::string room = "#" + printable(e.room);
    // Only others' words can mention us or ring: our own echo comes back too.
    bool fromOther =
        !e.from.empty() && sockchat::chat::foldCase(e.from) != sockchat::chat::foldCase(self);
    bool mentioned = false;
    std::string said = fromOther ? body(e.text, self, &mentioned) : text;
    if (e.type == "message" || e.type == "action") *ring = mentioned;
    // Server lines start with what no action can (event.h): "/me is now known as admin" must not
    // pass for a nick change here either, where colour may be off.
    const std::string kServer(sockchat::chat::kServerLinePrefix);
    const std::string where = severalRooms_ && !e.room.empty() ? dim(room) + " " : std::string();
    if (e.type == "message") return time + where + "<" + nick(e.from) + "> " + said;
    if (e.type == "action") return time + where + "* " + nick(e.from) + " " + said;
    if (e.type == "private") {
        std::string to = e.field("to");
        *ring = fromOther;
        std::string tag = fromOther ? style(kBold, "[msg from ") + nick(e.from) + style(kBold, "]")
                                    : style(kBold, "[msg to ") + nick(to) + style(kBold, "]");
        return time + tag + " " + said;
    }
    if (e.type == "history") {
        // Highlighted like live text, but old news: no bell.
        std::string line = e.field("kind") == "action" ? "* " + nick(e.from) + " " + said
                                                       : "<" + nick(e.from) + "> " + said;
        return dim(time + "[history]") + " " + line;
    }
    if (e.type == "join")
        return dim(time + kServer + printable(e.field("nick")) + " joined " + room);
    if (e.type == "leave") {
        std::string reason = printable(e.field("reason"));
        return dim(time + kServer + printable(e.field("nick")) + " left " + room +
                   (reason.empty() ? "" : " (" + reason + ")"));
    }
    if (e.type == "nick")
        return dim(time + kServer + printable(e.from) + " is now known as " +
                   printable(e.field("nick")));
    if (e.type == "notice") return time + kServer + text;  // MOTD, /help, bye
    if (e.type == "error") return time + style(kRed, "! " + text);
    if (e.type == "who") {
        std::string list;
        if (auto it = e.raw.find("nicks"); it != e.raw.end() && it->is_array())
            for (const auto& n : *it)
                if (n.is_string()) list += (list.empty() ? "" : ", ") + nick(n.get<std::string>());
        return time + kServer + room + ": " + (list.empty() ? "(nobody)" : list);
    }
    if (e.type == "rooms") {
        std::string list;
        if (auto it = e.raw.find("rooms"); it != e.raw.end() && it->is_array())
            for (const auto& r : *it) {
                if (!r.is_object()) continue;
                std::string name = r.value("name", std::string());
                long members = r.value("members", 0L);
                list += (list.empty() ? "" : ", ") + std::string("#") + printable(name) + " (" +
                        std::to_string(members) + ")";
            }
        return time + kServer + "rooms: " + (list.empty() ? std::string("(none)") : list);
    }
    if (e.type == "topic") {
        if (!e.seq || *e.seq == 0) return time + kServer + "topic of " + room + ": " + text;
        if (e.text.empty())
            return dim(time + kServer + nick(e.from) + " cleared the topic of " + room);
        return time + kServer + nick(e.from) + " set the topic of " + room + ": " + text;
    }
    if (e.type == "current") return dim(time + kServer + "now talking in " + room);
    if (e.type == "pong") return time + kServer + "pong" + (text.empty() ? "" : " " + text);
    if (e.type == "whois") {
        std::string rooms;
        if (auto it = e.raw.find("rooms"); it != e.raw.end() && it->is_array())
            for (const auto& r : *it)
                if (r.is_string())
                    rooms += (rooms.empty() ? "#" : ", #") + printable(r.get<std::string>());
        std::string away = printable(e.field("away"));
        return time + kServer + nick(e.field("nick")) + ": " +
               (rooms.empty() ? std::string("in no room") : "in " + rooms) +
               (away.empty() ? "" : "; away: " + away);
    }
    if (e.type == "closing")
        return time + style(kRed, "! closing: " + printable(e.field("reason")));
    if (e.type == "welcome") return {};  // state only
    // A type this sockctl does not know yet: show its text rather than drop it.
    return text.empty() ? std::string() : time + kServer + text;
}

std::string Renderer::renderText(std::string_view line) {
    std::time_t now = std::time(nullptr);
    // "! ..." is an error in text mode as in JSON mode ("! server full: ...").
    std::string shown = line.starts_with('!') ? style(kRed, printable(line)) : printable(line);
    return dated(now, stamp(now) + shown);
}

std::string Renderer::renderStatus(std::string_view text) {
    std::time_t now = std::time(nullptr);
    return dated(now, style(kYellow, stamp(now) + "-- " + printable(text)));
}

std::string Renderer::renderPending(std::string_view text) {
    std::time_t now = std::time(nullptr);
    return dated(now, dim(stamp(now) + "(pending) " + printable(text)));
}

}  // namespace sockctl
