#include "journald_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sockchatd {
namespace {

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

class JournaldSink : public sockchat::log::Sink {
  public:
    void write(const sockchat::log::Event& event) override {
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
        sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    }
};

}  // namespace

std::unique_ptr<sockchat::log::Sink> makeJournaldSink() {
    return std::make_unique<JournaldSink>();
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
