#pragma once
// Output: where the body (and with -i, the heads) go: stdout, or the -o file. The file is
// created on the first write, or empty at the end of a successful transfer, never for a
// failed one (curl does the same, so --fail leaves no error page behind). Bytes are written
// as they come, unchanged.
#include <string>
#include <string_view>

#include "sockchat/net/fd.h"

namespace sockchat::http {

class Output {
  public:
    // path empty or "-": standard output (not owned, never closed here).
    explicit Output(std::string path);

    // Throws FetchError writeError (23) when the write fails (disk full, closed pipe, ...).
    void write(std::string_view data);
    // Creates an empty file if nothing was written; throws writeError on failure.
    void finish();

  private:
    void open();

    std::string path_;
    net::Fd file_;
    int fd_ = -1;  // file_.get() or 1 for stdout
};

}  // namespace sockchat::http
