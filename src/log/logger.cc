#include "sockchat/log/logger.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <nlohmann/json.hpp>

namespace sockchat::log {
namespace {

constexpr std::array<const char*, 6> kLevelNames = {"trace", "debug", "info",
                                                    "warn",  "error", "critical"};

spdlog::level::level_enum toSpdlog(Level level) {
    return static_cast<spdlog::level::level_enum>(static_cast<int>(level));
}

bool needsQuotes(std::string_view s) {
    if (s.empty()) return true;
    for (char c : s)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    return false;
}

// Both console sinks hand spdlog a finished line: spdlog does the thread-safe, colour-aware
// output; we keep the fields structured until this last step.
class SpdlogConsoleSink : public Sink {
  public:
    SpdlogConsoleSink(std::shared_ptr<spdlog::sinks::sink> sink, bool json)
        : sink_(std::move(sink)), json_(json) {}

    void write(const Event& event) override {
        std::string line = json_ ? renderJson(event) : renderText(event);
        spdlog::details::log_msg msg(event.time, spdlog::source_loc{}, "sockchatd",
                                     toSpdlog(event.level), line);
        sink_->log(msg);
    }
    void flush() override { sink_->flush(); }

  private:
    std::shared_ptr<spdlog::sinks::sink> sink_;
    bool json_;
};

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point time) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
    std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
    return buf;
}

const char* levelName(Level level) {
    return kLevelNames[static_cast<int>(level)];
}

std::optional<Level> parseLevel(std::string_view name) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i)
        if (name == kLevelNames[i]) return static_cast<Level>(i);
    return std::nullopt;
}

std::string Field::valueText() const {
    return std::visit(
        [](const auto& v) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
                return v;
            else
                return nlohmann::json(v).dump();
        },
        value);
}

std::string renderJson(const Event& event) {
    nlohmann::ordered_json j;
    j["ts"] = rfc3339(event.time);
    j["level"] = levelName(event.level);
    j["event"] = event.name;
    j["msg"] = event.message;
    for (const auto& f : event.fields) std::visit([&](const auto& v) { j[f.key] = v; }, f.value);
    // Replace invalid UTF-8 rather than throw: peers control some field values.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string renderText(const Event& event) {
    std::string line(event.name);
    if (!event.message.empty()) {
        line += ": ";
        line += event.message;
    }
    for (const auto& f : event.fields) {
        line += ' ';
        line += f.key;
        line += '=';
        std::string v = f.valueText();
        line += needsQuotes(v) ? nlohmann::json(v).dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace)
                               : v;
    }
    return line;
}

std::unique_ptr<Sink> makeTextConsoleSink(bool colour) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
        colour ? spdlog::color_mode::always : spdlog::color_mode::never);
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    return std::make_unique<SpdlogConsoleSink>(std::move(sink), false);
}

std::unique_ptr<Sink> makeJsonConsoleSink() {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("%v");
    return std::make_unique<SpdlogConsoleSink>(std::move(sink), true);
}

Logger::Logger(std::unique_ptr<Sink> sink, Level level) : level_(level), sink_(std::move(sink)) {}

void Logger::setSink(std::unique_ptr<Sink> sink) {
    std::atomic_store(&sink_, std::shared_ptr<Sink>(std::move(sink)));
}

void Logger::log(Level level, std::string_view event, std::string_view message,
                 std::vector<Field> fields) {
    if (!enabled(level)) return;
    auto sink = std::atomic_load(&sink_);
    sink->write(Event{std::chrono::system_clock::now(), level, event, message, fields});
    // Errors are rare and matter most right before a crash or exit: make sure they are out.
    if (level >= Level::error) sink->flush();
}

void Logger::flush() {
    std::atomic_load(&sink_)->flush();
}

void Logger::setClientEventBudget(unsigned perSecond) {
    std::lock_guard lock(budgetMutex_);
    budgetPerSecond_ = perSecond;
}

Logger::HeldBack Logger::rollBudgetWindow(std::chrono::steady_clock::time_point now) {
    HeldBack held;
    if (now - windowStart_ < std::chrono::seconds(1)) return held;
    held.counts = std::move(heldInWindow_);
    held.over = now - windowStart_;
    heldInWindow_.clear();
    windowStart_ = now;
    usedInWindow_ = 0;
    return held;
}

void Logger::clientEvent(std::string_view event, std::string_view message,
                         std::vector<Field> fields) {
    Level level = Level::info;
    HeldBack held;
    {
        std::lock_guard lock(budgetMutex_);
        held = rollBudgetWindow(std::chrono::steady_clock::now());
        if (budgetPerSecond_ != 0 && usedInWindow_ >= budgetPerSecond_) {
            level = Level::debug;
            auto it = std::find_if(heldInWindow_.begin(), heldInWindow_.end(),
                                   [&](const auto& entry) { return entry.first == event; });
            if (it == heldInWindow_.end())
                heldInWindow_.emplace_back(std::string(event), 1);
            else
                ++it->second;
        } else {
            ++usedInWindow_;
        }
    }
    logHeldBack(held);
    log(level, event, message, std::move(fields));
}

void Logger::reportHeldBack() {
    HeldBack held;
    {
        std::lock_guard lock(budgetMutex_);
        held = rollBudgetWindow(std::chrono::steady_clock::now());
    }
    logHeldBack(held);
}

void Logger::logHeldBack(const HeldBack& held) {
    if (held.counts.empty()) return;
    std::string message =
        "more client events than logging.client_events_per_second; held back "
        "to debug level:";
    std::vector<Field> fields;
    for (const auto& [event, count] : held.counts) {
        message += " " + std::to_string(count) + " " + event;
        fields.emplace_back(event, count);
    }
    fields.emplace_back("window_ms",
                        std::chrono::duration_cast<std::chrono::milliseconds>(held.over).count());
    log(Level::info, "log", message, std::move(fields));
}

}  // namespace sockchat::log
