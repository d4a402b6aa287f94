// Config loading and validation: the one place that knows every key, its type and its range.
#include <fcntl.h>
#include <sys/stat.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>
#include <new>
#include <sstream>
#include <utility>

#include "sockchat/config/loader.h"
#include "sockchat/config/units.h"
#include "sockchat/net/fd.h"
#include "sockchat/text/quote.h"

namespace sockchat::config {

const char* serviceName(Service s) {
    switch (s) {
        case Service::echo:
            return "echo";
        case Service::chat:
            return "chat";
    }
    return "unknown";
}

std::string ConfigError::toString() const {
    std::string text = file;
    if (line > 0) text += ":" + std::to_string(line) + ":" + std::to_string(column);
    text += ": ";
    if (!key.empty()) text += sockchat::text::escapeForMessage(key) + ": ";
    return text + sockchat::text::escapeForMessage(message);
}

std::vector<Listener> defaultListeners() {
    return {
        {Service::echo, *net::SocketAddress::parse("127.0.0.1:8000")},
        {Service::chat, *net::SocketAddress::parse("127.0.0.1:8001")},
        {Service::chat, *net::SocketAddress::parse("[::1]:8001")},
    };
}

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
constexpr std::size_t kGiB = 1024 * kMiB;
// sizeof(sockaddr_un::sun_path) minus the terminating NUL.
constexpr std::size_t kMaxUnixPath = 107;

// Thrown by the validator at the first problem and caught in loadConfigString(): validation is a
// deep walk, and unwinding keeps every reader a plain "return the value" function.
struct Invalid {
    ConfigError error;
};

// Deeper than any config needs (it uses 3 levels), and far below where yaml-cpp's recursive
// parser could run out of stack.
constexpr int kMaxNesting = 64;

std::string tooDeep() {
    return "nesting too deep (more than " + std::to_string(kMaxNesting) + " levels)";
}

// A first look at the raw text, before yaml-cpp sees it, for what yaml-cpp handles badly:
// - a NUL byte, which it reports as "unknown escape character" somewhere else;
// - flow collections ("[[[[...") nested too deep: its scanner reads the whole run of brackets
//   ahead, queueing a token of ~250 bytes for each, before its parser notices the depth.
// The scan knows just enough YAML to skip comments and quoted scalars. It counts a bracket as
// opening a collection after a blank, at the start of a line or inside another collection, so a
// "[" in a plain scalar may count too: harmless, as only an unclosed run deeper than kMaxNesting
// is refused. What it misses, the depth check in DocumentStarts still catches.
std::optional<ConfigError> prescan(std::string_view text, const std::string& source) {
    int line = 1;
    int column = 0;
    int depth = 0;
    char quote = 0;  // '\'' or '"' inside a quoted scalar
    bool escaped = false;
    bool comment = false;
    char previous = '\n';  // the last character that is not a blank; '\n' at a line's start
    bool blank = false;    // whether a blank came after `previous`
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        ++column;
        if (c == '\0')
            return ConfigError{source, line, column, "", "NUL byte: a config file is text"};
        if (c == '\n') {
            ++line;
            column = 0;
            comment = escaped = false;
            if (quote == 0) previous = '\n';
            continue;
        }
        if (comment) continue;
        if (quote != 0) {
            if (escaped) {
                escaped = false;
            } else if (quote == '"' && c == '\\') {
                escaped = true;
            } else if (c == quote) {
                // '' is a quote inside a single-quoted scalar.
                if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                    ++i;
                    ++column;
                } else {
                    quote = 0;
                    previous = c;
                    blank = false;
                }
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            blank = true;
            continue;
        }
        const bool lineStart = previous == '\n';
        // Where a node may start: after ": ", "- " or "? ", and in a flow collection also right
        // after "[", "{", "," or ":". Elsewhere (e.g. "it's") a quote is part of a plain scalar.
        const bool afterIndicator = (depth > 0 && std::strchr("[{,:", previous) != nullptr) ||
                                    (std::strchr(":-?", previous) != nullptr && blank);
        if (c == '#' && (lineStart || blank)) {
            comment = true;
            continue;
        }
        if ((c == '\'' || c == '"') && (lineStart || afterIndicator)) {
            quote = c;
            continue;
        }
        if ((c == '[' || c == '{') && (depth > 0 || lineStart || blank || afterIndicator)) {
            if (++depth > kMaxNesting) return ConfigError{source, line, column, "", tooDeep()};
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
        previous = c;
        blank = false;
    }
    return std::nullopt;
}

// Where the first two documents of a YAML stream start. Used instead of YAML::LoadAll, which in
// yaml-cpp 0.7 loops forever, allocating, on input such as a lone "," (upstream issue #1040,
// fixed after 0.7): its parser keeps reporting a document there without consuming anything.
// Asking for two at most is bounded; a second start at the first one's position is that bug.
// The same pass refuses collections nested deeper than kMaxNesting at the first one too deep, so
// that the YAML::Load after it never recurses that far: yaml-cpp's own guard stops at a depth of
// 2000 with a "bad file" message that points nowhere useful.
class DocumentStarts final : public YAML::EventHandler {
  public:
    explicit DocumentStarts(const std::string& source) : source_(source) {}
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        enter(mark);
    }
    void OnSequenceEnd() override { --depth_; }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        enter(mark);
    }
    void OnMapEnd() override { --depth_; }

  private:
    void enter(const YAML::Mark& mark) {
        if (++depth_ > kMaxNesting)
            throw Invalid{{source_, mark.line + 1, mark.column + 1, "", tooDeep()}};
    }

    const std::string& source_;
    int depth_ = 0;
};

std::vector<YAML::Mark> firstDocumentStarts(const std::string& text, const std::string& source) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts handler(source);
    for (int i = 0; i < 2 && parser.HandleNextDocument(handler); ++i) {
    }
    return handler.starts;
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            return sockchat::text::quoteForMessage(node.Scalar());
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a sequence";
        default:
            return "an empty value";
    }
}

std::string joinPath(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Decimal integer with an optional '-'. Saturates instead of failing on overflow so that a huge
// value gets the range message rather than "expected an integer".
std::optional<long long> parseInteger(std::string_view text) {
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || end != text.data() + text.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range)
        return text.front() == '-' ? std::numeric_limits<long long>::min()
                                   : std::numeric_limits<long long>::max();
    if (ec != std::errc()) return std::nullopt;
    return value;
}

// What room and node names are made of: A-Z a-z 0-9 _ . -
bool isNameCharacter(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

struct Entry {
    YAML::Node key;
    YAML::Node value;
    std::string path;  // e.g. "limits.max_line_bytes"
};

// The checked keys of one map, by name.
using Section = std::map<std::string, Entry, std::less<>>;

const Entry* find(const Section& section, std::string_view key) {
    auto it = section.find(key);
    return it == section.end() ? nullptr : &it->second;
}

class Validator {
  public:
    explicit Validator(const std::string& source) : source_(source) {}

    Config load(const YAML::Node& root) {
        Config config;
        if (!root.IsDefined() || root.IsNull()) {
            config.listen = defaultListeners();
            return config;
        }
        if (!root.IsMap())
            throw Invalid{
                {source_, 1, 1, "",
                 "expected a map of settings (e.g. \"threads: 0\"), got " + describe(root)}};
        Section top = keys(root, "",
                           {"threads", "listen", "echo", "chat", "limits", "shutdown_timeout",
                            "logging", "admin", "metrics", "cluster"});
        if (const Entry* e = find(top, "threads"))
            config.threads = static_cast<unsigned>(readInteger(*e, 0, 1024));
        const Entry* listen = find(top, "listen");
        config.listen = listen ? readListeners(*listen) : defaultListeners();
        readEcho(subsection(top, "echo", {"prefix"}), config.echo);
        readChat(subsection(top, "chat",
                            {"default_room", "history", "history_bytes", "motd",
                             "partial_line_timeout", "presence_limit"}),
                 config.chat);
        readLimits(subsection(top, "limits",
                              {"max_connections", "max_connections_per_ip", "ipv6_prefix_length",
                               "max_line_bytes", "output_buffer_bytes", "idle_timeout",
                               "messages_per_second", "burst", "max_rooms_per_client"}),
                   config.limits);
        if (const Entry* e = find(top, "shutdown_timeout"))
            config.shutdown_timeout = readDuration(*e, Duration{0}, Duration{10 * 60 * 1000});
        readLogging(
            subsection(top, "logging", {"level", "format", "sink", "client_events_per_second"}),
            config.logging);
        readAdmin(subsection(top, "admin", {"socket", "group"}), config.admin);
        readMetrics(subsection(top, "metrics", {"address"}), config.metrics);
        readCluster(subsection(top, "cluster",
                               {"redis", "password_file", "node", "prefix", "nick_ttl", "sentinels",
                                "master"}),
                    config.cluster);
        return config;
    }

  private:
    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& key,
                           std::string message) const {
        // yaml-cpp marks are 0-based, and -1 when a node has no position.
        int line = mark.line >= 0 ? mark.line + 1 : 0;
        int column = mark.column >= 0 ? mark.column + 1 : 0;
        throw Invalid{{source_, line, column, key, std::move(message)}};
    }

    // Points at the value, or at the key when the value is empty: yaml-cpp gives an empty value
    // the position of whatever token follows it, often on the next line.
    [[noreturn]] void fail(const Entry& e, std::string message) const {
        fail(e.value.IsNull() ? e.key.Mark() : e.value.Mark(), e.path, std::move(message));
    }

    // Checks a map's keys against the known ones: unknown and duplicate keys are errors.
    Section keys(const YAML::Node& map, const std::string& path,
                 std::initializer_list<std::string_view> known) const {
        Section section;
        for (auto it = map.begin(); it != map.end(); ++it) {
            // Copies: the iterator hands out a temporary pair, so references would dangle.
            YAML::Node key = it->first;
            YAML::Node value = it->second;
            if (!key.IsScalar())
                fail(key.Mark(), path, "expected a key name, got " + describe(key));
            const std::string& name = key.Scalar();
            std::string keyPath = joinPath(path, name);
            if (std::find(known.begin(), known.end(), name) == known.end())
                fail(key.Mark(), keyPath, "unknown key" + suggestion(name, known));
            if (const Entry* first = find(section, name))
                fail(key.Mark(), keyPath,
                     "duplicate key (first at line " + std::to_string(first->key.Mark().line + 1) +
                         ")");
            section.emplace(name, Entry{key, value, keyPath});
        }
        return section;
    }

    static std::string suggestion(std::string_view name,
                                  std::initializer_list<std::string_view> known) {
        std::string_view best;
        std::size_t bestDistance = 3;  // suggest only near misses (distance ≤ 2)
        for (std::string_view candidate : known) {
            std::size_t distance = editDistance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best.empty() ? "" : " (did you mean " + sockchat::text::quoteForMessage(best) + "?)";
    }

    // A nested map such as `limits:`. Absent or empty (every key commented out) = all defaults.
    Section subsection(const Section& top, std::string_view name,
                       std::initializer_list<std::string_view> known) const {
        const Entry* e = find(top, name);
        if (e == nullptr || e->value.IsNull()) return {};
        if (!e->value.IsMap()) fail(*e, "expected a map, got " + describe(e->value));
        return keys(e->value, e->path, known);
    }

    const std::string& scalar(const Entry& e, std::string_view expected) const {
        if (!e.value.IsScalar())
            fail(e, "expected " + std::string(expected) + ", got " + describe(e.value));
        return e.value.Scalar();
    }

    long long readInteger(const Entry& e, long long min, long long max) const {
        const std::string& text = scalar(e, "an integer");
        std::optional<long long> value = parseInteger(text);
        if (!value) fail(e, "expected an integer, got " + sockchat::text::quoteForMessage(text));
        if (*value < min) fail(e, "must be ≥ " + std::to_string(min));
        if (*value > max) fail(e, "must be ≤ " + std::to_string(max));
        return *value;
    }

    double readNumber(const Entry& e, double max) const {
        const std::string& text = scalar(e, "a number");
        double value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
            fail(e, "expected a number, got " + sockchat::text::quoteForMessage(text));
        if (value <= 0) fail(e, "must be > 0");
        if (value > max) fail(e, "must be ≤ " + std::to_string(static_cast<long long>(max)));
        return value;
    }

    Duration readDuration(const Entry& e, Duration min, std::optional<Duration> max) const {
        std::string error;
        std::optional<Duration> value = parseDuration(scalar(e, "a duration"), &error);
        if (!value) fail(e, error);
        if (*value < min) fail(e, "must be ≥ " + formatDuration(min));
        if (max && *value > *max) fail(e, "must be ≤ " + formatDuration(*max));
        return *value;
    }

    std::size_t readSize(const Entry& e, std::size_t min, std::size_t max) const {
        std::string error;
        std::optional<std::uint64_t> value = parseSize(scalar(e, "a size"), &error);
        if (!value) fail(e, error);
        if (*value < min) fail(e, "must be ≥ " + formatSize(min));
        if (*value > max) fail(e, "must be ≤ " + formatSize(max));
        return static_cast<std::size_t>(*value);
    }

    std::string readString(const Entry& e, std::size_t maxBytes) const {
        if (e.value.IsNull()) fail(e, "expected a string, got an empty value (use \"\" for none)");
        const std::string& text = scalar(e, "a string");
        if (text.size() > maxBytes)
            fail(e, "must be ≤ " + std::to_string(maxBytes) + " bytes (it is " +
                        std::to_string(text.size()) + ")");
        return text;
    }

    // One of a fixed set of words, e.g. a log level. `what` names the set in the error.
    template <typename T>
    T readChoice(const Entry& e, std::string_view what,
                 std::initializer_list<std::pair<std::string_view, T>> choices) const {
        const std::string& text = scalar(e, "one of " + listChoices(choices));
        for (const auto& [name, value] : choices)
            if (text == name) return value;
        fail(e, sockchat::text::quoteForMessage(text) + " is not " + std::string(what) + " (use " +
                    listChoices(choices) + ")");
    }

    template <typename T>
    static std::string listChoices(std::initializer_list<std::pair<std::string_view, T>> choices) {
        std::string text;
        std::size_t i = 0;
        for (const auto& choice : choices) {
            if (i > 0) text += i + 1 == choices.size() ? " or " : ", ";
            text += choice.first;
            ++i;
        }
        return text;
    }

    std::vector<Listener> readListeners(const Entry& e) const {
        if (e.value.IsNull() || (e.value.IsSequence() && e.value.size() == 0))
            fail(e, "must list at least one listener");
        if (!e.value.IsSequence())
            fail(e, "expected a sequence of {service, address} maps, got " + describe(e.value));
        if (e.value.size() > kMaxListeners)
            fail(e.value[kMaxListeners].Mark(), e.path,
                 "at most " + std::to_string(kMaxListeners) + " listeners (it lists " +
                     std::to_string(e.value.size()) + ")");
        std::vector<Listener> listeners;
        std::vector<std::string> paths;
        // Earlier listeners by address text, which equal addresses share: a lookup per listener
        // instead of a comparison with every earlier one.
        std::map<std::string, std::vector<std::size_t>> byText;
        for (std::size_t i = 0; i < e.value.size(); ++i) {
            YAML::Node item = e.value[i];
            std::string path = e.path + "[" + std::to_string(i) + "]";
            if (!item.IsMap())
                fail(item.Mark(), path,
                     "expected a map like {service: echo, address: \"127.0.0.1:8000\"}, got " +
                         describe(item));
            Section fields = keys(item, path, {"service", "address", "tls"});
            const Entry* service = find(fields, "service");
            const Entry* address = find(fields, "address");
            if (service == nullptr) fail(item.Mark(), path + ".service", "missing");
            if (address == nullptr) fail(item.Mark(), path + ".address", "missing");
            Listener listener;
            listener.service = readChoice<Service>(
                *service, "a service", {{"echo", Service::echo}, {"chat", Service::chat}});
            listener.address = readAddress(*address);
            if (const Entry* tls = find(fields, "tls"); tls && !tls->value.IsNull())
                listener.tls = readTls(*tls);
            // Port 0 asks for an ephemeral port, so two of them never clash.
            if (listener.address.port() != 0) {
                std::vector<std::size_t>& same = byText[listener.address.toString()];
                for (std::size_t j : same)
                    if (listeners[j].address == listener.address)
                        fail(*address, "duplicate listener " + listener.address.toString() +
                                           " (also " + paths[j] + ")");
                same.push_back(i);
            }
            listeners.push_back(listener);
            paths.push_back(path);
        }
        return listeners;
    }

    // A listener's tls block. Only its shape is checked here: the files are read by the daemon
    // (tls::ServerContext) at startup and on reload, where a bad one names the file.
    tls::ServerSettings readTls(const Entry& e) const {
        if (!e.value.IsMap())
            fail(e,
                 "expected a map like {certificate: /etc/sockchatd/tls/fullchain.pem, key: "
                 "/etc/sockchatd/tls/privkey.pem}, got " +
                     describe(e.value));
        Section s = keys(e.value, e.path,
                         {"certificate", "key", "client_ca", "min_version", "ciphers",
                          "ciphersuites", "handshake_timeout"});
        tls::ServerSettings tls;
        auto path = [&](std::string_view key, bool required) -> std::string {
            const Entry* f = find(s, key);
            if (f == nullptr) {
                if (required) fail(e.value.Mark(), joinPath(e.path, key), "missing");
                return {};
            }
            std::string text = readString(*f, 4096);
            if (text.empty() && !required) return {};
            if (text.empty() || text.front() != '/') fail(*f, "must be an absolute path");
            return text;
        };
        tls.certificate = path("certificate", true);
        tls.key = path("key", true);
        tls.client_ca = path("client_ca", false);
        if (const Entry* f = find(s, "min_version"))
            tls.min_version =
                readChoice<std::string>(*f, "a TLS version", {{"1.2", "1.2"}, {"1.3", "1.3"}});
        if (const Entry* f = find(s, "ciphers")) tls.ciphers = readString(*f, 4096);
        if (const Entry* f = find(s, "ciphersuites")) tls.ciphersuites = readString(*f, 4096);
        if (const Entry* f = find(s, "handshake_timeout"))
            tls.handshake_timeout = readDuration(*f, Duration{100}, Duration{5 * 60 * 1000});
        return tls;
    }

    net::SocketAddress readAddress(const Entry& e) const {
        std::string error;
        std::optional<net::SocketAddress> address =
            net::SocketAddress::parse(readString(e, 256), &error);
        if (!address) fail(e, error);
        return *address;
    }

    void readEcho(const Section& s, EchoConfig& echo) const {
        if (const Entry* e = find(s, "prefix")) echo.prefix = readString(*e, 256);
    }

    void readChat(const Section& s, ChatConfig& chat) const {
        if (const Entry* e = find(s, "default_room")) chat.default_room = readRoomName(*e);
        if (const Entry* e = find(s, "history"))
            chat.history = static_cast<unsigned>(readInteger(*e, 0, 10000));
        if (const Entry* e = find(s, "motd")) chat.motd = readString(*e, 4096);
        if (const Entry* e = find(s, "partial_line_timeout"))
            chat.partial_line_timeout = readDuration(*e, Duration{10}, Duration{10'000});
        if (const Entry* e = find(s, "history_bytes"))
            chat.history_bytes = readSize(*e, 64 * kKiB, 64 * kGiB);
        if (const Entry* e = find(s, "presence_limit"))
            chat.presence_limit = static_cast<std::size_t>(readInteger(*e, 0, 1'000'000));
    }

    std::string readRoomName(const Entry& e) const {
        std::string name = readString(e, std::numeric_limits<std::size_t>::max());
        if (name.empty()) fail(e, "must not be empty");
        if (name.size() > 32)
            fail(e, "must be ≤ 32 characters (it is " + std::to_string(name.size()) + ")");
        if (!std::all_of(name.begin(), name.end(), isNameCharacter))
            fail(e, sockchat::text::quoteForMessage(name) +
                        " may only contain letters, digits, \"_\", \".\" and \"-\"");
        return name;
    }

    void readLimits(const Section& s, Limits& limits) const {
        if (const Entry* e = find(s, "max_connections"))
            limits.max_connections = static_cast<std::size_t>(readInteger(*e, 1, 1'000'000));
        if (const Entry* e = find(s, "max_connections_per_ip")) {
            limits.max_connections_per_ip = static_cast<std::size_t>(readInteger(*e, 1, 1'000'000));
            if (limits.max_connections_per_ip > limits.max_connections)
                fail(*e, "must be ≤ limits.max_connections (" +
                             std::to_string(limits.max_connections) + ")");
        } else {
            // Lowering only max_connections must not trip over the per-IP default.
            limits.max_connections_per_ip =
                std::min(limits.max_connections_per_ip, limits.max_connections);
        }
        if (const Entry* e = find(s, "ipv6_prefix_length"))
            limits.ipv6_prefix_length = static_cast<unsigned>(readInteger(*e, 32, 128));
        if (const Entry* e = find(s, "max_line_bytes"))
            limits.max_line_bytes = readSize(*e, 64, kMiB);
        if (const Entry* e = find(s, "output_buffer_bytes")) {
            limits.output_buffer_bytes = readSize(*e, 4 * kKiB, kGiB);
            // A full line must always fit in the output buffer, or it could never be sent.
            if (limits.output_buffer_bytes < limits.max_line_bytes)
                fail(*e,
                     "must be ≥ limits.max_line_bytes (" + formatSize(limits.max_line_bytes) + ")");
        }
        if (const Entry* e = find(s, "idle_timeout"))
            limits.idle_timeout = readDuration(*e, Duration{0}, std::nullopt);
        if (const Entry* e = find(s, "messages_per_second"))
            limits.messages_per_second = readNumber(*e, 10000);
        if (const Entry* e = find(s, "burst"))
            limits.burst = static_cast<unsigned>(readInteger(*e, 1, 100'000));
        if (const Entry* e = find(s, "max_rooms_per_client"))
            limits.max_rooms_per_client = static_cast<unsigned>(readInteger(*e, 1, 1000));
    }

    void readLogging(const Section& s, Logging& logging) const {
        if (const Entry* e = find(s, "level"))
            logging.level = readChoice<std::string_view>(*e, "a log level",
                                                         {{"trace", "trace"},
                                                          {"debug", "debug"},
                                                          {"info", "info"},
                                                          {"warn", "warn"},
                                                          {"error", "error"},
                                                          {"critical", "critical"}});
        if (const Entry* e = find(s, "client_events_per_second"))
            logging.client_events_per_second = static_cast<unsigned>(readInteger(*e, 0, 1'000'000));
        if (const Entry* e = find(s, "format"))
            logging.format = readChoice<LogFormat>(
                *e, "a log format", {{"text", LogFormat::text}, {"json", LogFormat::json}});
        if (const Entry* e = find(s, "sink"))
            logging.sink = readChoice<LogSink>(*e, "a log sink",
                                               {{"auto", LogSink::automatic},
                                                {"console", LogSink::console},
                                                {"journald", LogSink::journald}});
    }

    void readAdmin(const Section& s, Admin& admin) const {
        if (const Entry* g = find(s, "group")) {
            admin.group = readString(*g, 32);
            // A POSIX portable group name; whether it exists is for the daemon to find out.
            for (char c : admin.group)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
                    c != '.')
                    fail(*g,
                         "must be a group name (letters, digits, '_', '-', '.'), or \"\" for "
                         "the daemon's own group");
        }
        const Entry* e = find(s, "socket");
        if (e == nullptr) return;
        admin.socket = readString(*e, std::numeric_limits<std::size_t>::max());
        if (!admin.socket.empty() && admin.socket.front() != '/')
            fail(*e, "must be an absolute path, or \"\" to turn the admin socket off");
        if (admin.socket.size() > kMaxUnixPath)
            fail(*e, "must be ≤ " + std::to_string(kMaxUnixPath) +
                         " bytes, the limit for a Unix socket path (it is " +
                         std::to_string(admin.socket.size()) + ")");
    }

    void readMetrics(const Section& s, Metrics& metrics) const {
        const Entry* e = find(s, "address");
        if (e == nullptr) return;
        metrics.address = readString(*e, 256);
        if (!metrics.address.empty()) readAddress(*e);
    }

    void readCluster(const Section& s, Cluster& cluster) const {
        const Entry* redis = find(s, "redis");
        if (redis != nullptr) {
            std::string text = readString(*redis, 256);
            if (!text.empty()) cluster.redis = readEndpoint(*redis, text);
        }
        if (const Entry* e = find(s, "password_file")) {
            cluster.password_file = readString(*e, 4096);
            if (!cluster.password_file.empty() && cluster.password_file.front() != '/')
                fail(*e, "must be an absolute path, or \"\" for no AUTH");
        }
        if (const Entry* e = find(s, "node")) {
            cluster.node = readString(*e, std::numeric_limits<std::size_t>::max());
            if (cluster.node.size() > 64 ||
                !std::all_of(cluster.node.begin(), cluster.node.end(), isNameCharacter))
                fail(*e,
                     "must be 1-64 letters, digits, \"_\", \".\" and \"-\", or \"\" for the "
                     "host name and pid");
        }
        if (const Entry* e = find(s, "prefix")) {
            cluster.prefix = readString(*e, std::numeric_limits<std::size_t>::max());
            auto printable = [](unsigned char c) { return c > ' ' && c < 0x7f; };
            if (cluster.prefix.empty() || cluster.prefix.size() > 64 ||
                !std::all_of(cluster.prefix.begin(), cluster.prefix.end(), printable))
                fail(*e, "must be 1-64 printable ASCII characters without spaces");
        }
        if (const Entry* e = find(s, "nick_ttl"))
            cluster.nick_ttl = readDuration(*e, Duration{3000}, Duration{60 * 60 * 1000});
        const Entry* sentinels = find(s, "sentinels");
        if (sentinels != nullptr) cluster.sentinels = readSentinels(*sentinels);
        const Entry* master = find(s, "master");
        if (master != nullptr) cluster.master = readString(*master, 256);
        if (!cluster.sentinels.empty()) {
            if (cluster.redis) fail(*sentinels, "set either cluster.redis or cluster.sentinels");
            if (cluster.master.empty())
                fail(master ? master->value.Mark() : sentinels->key.Mark(), "cluster.master",
                     "required with cluster.sentinels (the master's name in Sentinel)");
        } else if (!cluster.master.empty()) {
            fail(*master, "only used with cluster.sentinels");
        }
    }

    redis::Endpoint readEndpoint(const Entry& e, const std::string& text) const {
        std::string error;
        std::optional<redis::Endpoint> endpoint = redis::parseEndpoint(text, &error);
        if (!endpoint) fail(e, error);
        return *endpoint;
    }

    std::vector<redis::Endpoint> readSentinels(const Entry& e) const {
        if (e.value.IsNull()) return {};
        if (!e.value.IsSequence())
            fail(e, "expected a sequence of \"host:port\" strings, got " + describe(e.value));
        std::vector<redis::Endpoint> sentinels;
        for (std::size_t i = 0; i < e.value.size(); ++i) {
            Entry item{e.key, e.value[i], e.path + "[" + std::to_string(i) + "]"};
            redis::Endpoint endpoint = readEndpoint(item, readString(item, 256));
            if (endpoint.kind != redis::Endpoint::Kind::tcp)
                fail(item, "must be host:port: Sentinel is reached over TCP");
            sentinels.push_back(std::move(endpoint));
        }
        return sentinels;
    }

    const std::string& source_;
};

LoadResult failure(ConfigError error) {
    return {std::nullopt, std::move(error)};
}

}  // namespace

LoadResult loadConfigString(std::string_view yaml, const std::string& source_name) {
    try {
        // Checked here rather than only when reading a file, so that the fuzz target covers it.
        if (yaml.size() > kMaxConfigBytes)
            return failure(
                {source_name, 0, 0, "",
                 "larger than " + formatSize(kMaxConfigBytes) + ", the limit for a config file"});
        if (auto error = prescan(yaml, source_name)) return failure(std::move(*error));
        const std::string text(yaml);
        std::vector<YAML::Mark> starts = firstDocumentStarts(text, source_name);
        if (starts.size() > 1) {
            const YAML::Mark& mark = starts[1];
            int line = mark.line >= 0 ? mark.line + 1 : 0;
            int column = mark.column >= 0 ? mark.column + 1 : 0;
            if (mark.pos == starts[0].pos && mark.pos >= 0 &&
                static_cast<std::size_t>(mark.pos) < text.size())
                return failure({source_name, line, column, "",
                                "not valid YAML: unexpected " +
                                    sockchat::text::quoteForMessage(text.substr(mark.pos, 1))});
            return failure({source_name, line, column, "",
                            "expected one YAML document, found more (remove the \"---\")"});
        }
        Validator validator(source_name);
        return {validator.load(starts.empty() ? YAML::Node() : YAML::Load(text)), std::nullopt};
    } catch (const YAML::Exception& e) {
        return failure({source_name, e.mark.line + 1, e.mark.column + 1, "", e.msg});
    } catch (const Invalid& invalid) {
        return failure(invalid.error);
    } catch (const std::bad_alloc&) {
        // A reload must keep the running config rather than take the daemon down.
        return failure({source_name, 0, 0, "", "out of memory while loading it"});
    }
}

namespace {

const char* fileType(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFDIR:
            return "directory";
        case S_IFCHR:
            return "character device";
        case S_IFBLK:
            return "block device";
        case S_IFIFO:
            return "FIFO";
        case S_IFSOCK:
            return "socket";
        default:
            return "special file";
    }
}

}  // namespace

LoadResult loadConfigFile(const std::string& path) {
    auto unreadable = [&path](int error) {
        return failure({path, 0, 0, "", std::string("cannot read: ") + std::strerror(error)});
    };
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one, forever; O_NOCTTY:
    // a terminal named by mistake must not become ours. The type is checked on the opened fd, so
    // the file cannot be swapped between the check and the read.
    net::Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) return unreadable(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return unreadable(errno);
    // /dev/zero or a FIFO would never end, or block: only a regular file has a known end.
    if (!S_ISREG(st.st_mode))
        return failure(
            {path, 0, 0, "", std::string("not a regular file (") + fileType(st.st_mode) + ")"});
    try {
        // One byte past the cap is enough for loadConfigString to say the file is too large; the
        // file may grow after fstat, so the cap bounds the read, not st_size.
        std::string text(kMaxConfigBytes + 1, '\0');
        std::size_t size = 0;
        while (size < text.size()) {
            ssize_t n = ::read(fd.get(), text.data() + size, text.size() - size);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return unreadable(errno);
            if (n == 0) break;
            size += static_cast<std::size_t>(n);
        }
        text.resize(size);
        return loadConfigString(text, path);
    } catch (const std::bad_alloc&) {
        return failure({path, 0, 0, "", "out of memory while reading it"});
    }
}

}  // namespace sockchat::config
