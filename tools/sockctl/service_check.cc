#include "service_check.h"

#include "chat_event.h"
#include "sockchat/text/quote.h"

namespace sockctl {

bool looksLikeChatService(std::string_view firstLine) {
    if (!firstLine.empty() && firstLine.back() == '\r') firstLine.remove_suffix(1);
    // "* " is how a daemon of protocol 2 or older began its server lines.
    return parseChatEvent(firstLine).has_value() || firstLine.starts_with("-!- ") ||
           firstLine.starts_with("* ") || firstLine.starts_with("! ");
}

bool isTlsPortAnswer(std::string_view firstLine) {
    return firstLine.starts_with(kTlsPortAnswer);
}

TlsPortWithoutTls::TlsPortWithoutTls(std::string_view address)
    : std::runtime_error(std::string(address) + " speaks TLS: use --tls") {}

NotAChatService::NotAChatService(std::string_view address, std::string_view why)
    : std::runtime_error(std::string(address) + " is not a sockchatd chat service (" +
                         std::string(why) + ")") {}

NotAChatService NotAChatService::answered(std::string_view address, std::string_view firstLine) {
    return NotAChatService(address, "it answered " + sockchat::text::quoteForMessage(firstLine));
}

}  // namespace sockctl
