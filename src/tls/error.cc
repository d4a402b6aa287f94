#include "sockchat/tls/error.h"

#include <openssl/err.h>

namespace sockchat::tls {

std::string takeError() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return {};
    if (const char* reason = ERR_reason_error_string(code)) return reason;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

std::string peekErrorLine() {
    const unsigned long code = ERR_peek_error();
    if (code == 0) return {};
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

std::string takeErrorLine() {
    std::string line = peekErrorLine();
    ERR_clear_error();
    return line;
}

}  // namespace sockchat::tls
