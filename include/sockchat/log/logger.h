#pragma once
// Structured logging. Code logs *events* (a name such as "connect", a human message, and typed
// fields such as conn=c42 peer=127.0.0.1:5555); sinks receive the event with its fields intact
// and decide how to render it: text line, JSON object, or journald fields.
//
// Thread-safe: workers log concurrently; the level can be changed at run time (reload).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sockchat::log {

enum class Level { trace, debug, info, warn, error, critical };

const char* levelName(Level level);
// "2026-11-25T10:00:01.042Z": RFC 3339, UTC, milliseconds (logs and chat timestamps).
std::string rfc3339(std::chrono::system_clock::time_point time);
std::optional<Level> parseLevel(std::string_view name);

struct Field {
    using Value = std::variant<std::string, std::int64_t, std::uint64_t, double>;

    Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
    Field(std::string_view k, const std::string& v) : key(k), value(v) {}
    Field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
    Field(std::string_view k, long v) : key(k), value(std::int64_t{v}) {}
    Field(std::string_view k, long long v) : key(k), value(std::int64_t{v}) {}
    Field(std::string_view k, unsigned v) : key(k), value(std::uint64_t{v}) {}
    Field(std::string_view k, unsigned long v) : key(k), value(std::uint64_t{v}) {}
    Field(std::string_view k, unsigned long long v) : key(k), value(std::uint64_t{v}) {}
    Field(std::string_view k, double v) : key(k), value(v) {}

    std::string key;  // lower_snake_case: conn, peer, listener, nick, room, reason, bytes_in, ...
    Value value;

    std::string valueText() const;
};

struct Event {
    std::chrono::system_clock::time_point time;
    Level level;
    std::string_view name;     // "listen", "connect", "disconnect", "limit", "shutdown", ...
    std::string_view message;  // human text
    const std::vector<Field>& fields;
};

class Sink {
  public:
    virtual ~Sink() = default;
    virtual void write(const Event& event) = 0;
    virtual void flush() {}
};

// Console sinks go to stderr (stdout stays free for a program's own output).
std::unique_ptr<Sink> makeTextConsoleSink(bool colour);
std::unique_ptr<Sink> makeJsonConsoleSink();

class Logger {
  public:
    explicit Logger(std::unique_ptr<Sink> sink, Level level = Level::info);

    void setLevel(Level level) { level_.store(level, std::memory_order_relaxed); }
    Level level() const { return level_.load(std::memory_order_relaxed); }
    bool enabled(Level level) const { return level >= this->level(); }
    // Replaces the sink (e.g. format change on reload). Not safe against concurrent log() calls:
    // call it only while no worker runs, or accept the documented restart.
    void setSink(std::unique_ptr<Sink> sink);

    void log(Level level, std::string_view event, std::string_view message,
             std::vector<Field> fields = {});
    void debug(std::string_view event, std::string_view message, std::vector<Field> fields = {}) {
        log(Level::debug, event, message, std::move(fields));
    }
    void info(std::string_view event, std::string_view message, std::vector<Field> fields = {}) {
        log(Level::info, event, message, std::move(fields));
    }
    void warn(std::string_view event, std::string_view message, std::vector<Field> fields = {}) {
        log(Level::warn, event, message, std::move(fields));
    }
    void error(std::string_view event, std::string_view message, std::vector<Field> fields = {}) {
        log(Level::error, event, message, std::move(fields));
    }
    void flush();

    // Per-client events (connect, disconnect, join, leave, nick, ...) come as fast as clients
    // make them: a flood of 10,000 clients would write 100k lines a second into the journal. Up
    // to `perSecond` of them a second (0 = no limit) are logged at info; beyond that they are
    // logged at debug, so that nothing is lost with `logging.level: debug`, and one info line
    // says how many of each were held back once that second is over.
    void setClientEventBudget(unsigned perSecond);
    void clientEvent(std::string_view event, std::string_view message,
                     std::vector<Field> fields = {});
    // Writes the held-back summary if its second is over. Call it about once a second, so that
    // the summary comes even when the flood has stopped.
    void reportHeldBack();

  private:
    struct HeldBack {
        std::vector<std::pair<std::string, std::uint64_t>> counts;  // event name, count
        std::chrono::steady_clock::duration over{};
    };
    // Under budgetMutex_: starts a new second if the current one is over, handing back the
    // summary of the one that ended (empty counts when nothing was held back).
    HeldBack rollBudgetWindow(std::chrono::steady_clock::time_point now);
    void logHeldBack(const HeldBack& held);

    std::atomic<Level> level_;
    std::shared_ptr<Sink> sink_;
    std::mutex budgetMutex_;
    unsigned budgetPerSecond_ = 0;
    std::chrono::steady_clock::time_point windowStart_{};
    unsigned usedInWindow_ = 0;
    std::vector<std::pair<std::string, std::uint64_t>> heldInWindow_;
};

// Renders an event as one JSON object (ts RFC 3339 UTC with ms, level, event, msg, fields).
std::string renderJson(const Event& event);
// Renders "event message key=value ..." (values with spaces quoted).
std::string renderText(const Event& event);

}  // namespace sockchat::log
