#include "journald_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace sockchatd {
namespace {

// Where sd_journal_send() writes (libsystemd has the path built in).
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

int priorityOf(sockchat::log::Level level) {
    using sockchat::log::Level;
    switch (level) {
        case Level::trace:
        case Level::debug:
            return LOG_DEBUG;
        case Level::info:
            return LOG_INFO;
        case Level::warn:
            return LOG_WARNING;
        case Level::error:
            return LOG_ERR;
        case Level::critical:
            return LOG_CRIT;
    }
    return LOG_INFO;
}

// Journal field names are upper case letters, digits and underscores.
std::string journalFieldName(std::string_view key) {
    std::string name = "SOCKCHAT_";
    for (char c : key)
        name += std::isalnum(static_cast<unsigned char>(c))
                    ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                    : '_';
    return name;
}

// Writes to the journal while it takes the entries; from the first one it refuses (journald
// stopped, or a socket file with nobody behind it) everything goes to the console sink instead,
// after one warning, so no line is lost silently and the console is not flooded with warnings.
class JournaldSink : public sockchat::log::Sink {
  public:
    explicit JournaldSink(std::unique_ptr<sockchat::log::Sink> fallback)
        : fallback_(std::move(fallback)) {}

    void write(const sockchat::log::Event& event) override {
        if (!failed_.load(std::memory_order_acquire)) {
            int rc = sendToJournal(event);
            if (rc >= 0) return;
            std::call_once(warned_, [this, rc] {
                std::fprintf(stderr,
                             "sockchatd: warning: cannot write to the systemd journal at %s (%s); "
                             "logging to the console\n",
                             kJournalSocket, std::strerror(-rc));
                failed_.store(true, std::memory_order_release);
            });
        }
        fallback_->write(event);
    }
    void flush() override { fallback_->flush(); }

  private:
    static int sendToJournal(const sockchat::log::Event& event) {
        std::vector<std::string> items;
        items.reserve(event.fields.size() + 4);
        items.push_back("MESSAGE=" + sockchat::log::renderText(event));
        items.push_back("PRIORITY=" + std::to_string(priorityOf(event.level)));
        items.push_back("SYSLOG_IDENTIFIER=sockchatd");
        items.push_back("SOCKCHAT_EVENT=" + std::string(event.name));
        for (const auto& f : event.fields)
            items.push_back(journalFieldName(f.key) + "=" + f.valueText());
        std::vector<iovec> iov;
        iov.reserve(items.size());
        for (auto& item : items) iov.push_back({item.data(), item.size()});
        return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    }

    std::unique_ptr<sockchat::log::Sink> fallback_;
    std::atomic<bool> failed_{false};
    std::once_flag warned_;
};

}  // namespace

std::unique_ptr<sockchat::log::Sink> makeJournaldSink(
    std::unique_ptr<sockchat::log::Sink> fallback) {
    struct stat st {};
    if (::stat(kJournalSocket, &st) < 0) {
        std::fprintf(stderr,
                     "sockchatd: warning: no systemd journal at %s; logging to the console\n",
                     kJournalSocket);
        return fallback;
    }
    return std::make_unique<JournaldSink>(std::move(fallback));
}

bool stderrIsJournal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) < 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
}

}  // namespace sockchatd
