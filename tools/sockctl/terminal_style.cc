#include "terminal_style.h"

namespace sockctl {

bool wantTerminalStyle(bool stdoutIsTerminal, const char* noColor) {
    return stdoutIsTerminal && !(noColor && *noColor);
}

}  // namespace sockctl
