#pragma once
// A log sink that writes to the systemd journal with real fields (SOCKCHAT_EVENT, SOCKCHAT_CONN,
// SOCKCHAT_PEER, ...), so `journalctl SOCKCHAT_EVENT=connect` and `-o json` see structure, not
// just text. Lives in daemon/: nothing below daemon/ knows about systemd.
#include <memory>

#include "sockchat/log/logger.h"

namespace sockchatd {

// Without a journal (no socket at /run/systemd/journal/socket: a container, a chroot) this is the
// fallback sink, with one warning on stderr; a journal that refuses an entry later switches to
// the fallback for good, with one warning too.
std::unique_ptr<sockchat::log::Sink> makeJournaldSink(
    std::unique_ptr<sockchat::log::Sink> fallback);

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM to the device and
// inode of the stream it gave us), which is how `logging.sink: auto` recognises systemd.
bool stderrIsJournal();

}  // namespace sockchatd
