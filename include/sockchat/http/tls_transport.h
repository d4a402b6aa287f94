#pragma once
// TLS for sockfetch over the shared sockchat::tls module (ClientContext: verification like
// curl; Stream: SNI, host name or IP verification). What this file adds is sockfetch's part:
// waiting with its deadlines, and curl's exit codes and texts for the ways a handshake fails.
#include <string>

#include "sockchat/http/deadline.h"
#include "sockchat/http/trace.h"
#include "sockchat/http/transport.h"
#include "sockchat/net/fd.h"
#include "sockchat/tls/client_context.h"
#include "sockchat/tls/stream.h"

namespace sockchat::http {

// --cacert and -k (sockfetch has no client certificate options).
using TlsOptions = tls::ClientOptions;

// The context shared by every connection of one fetch (redirects reuse it). Throws FetchError
// sslCacertBadFile (77) when the CA file cannot be loaded.
tls::ClientContext makeTlsContext(const TlsOptions& options);

class TlsTransport final : public Transport {
  public:
    // Runs the handshake with host (name or IP literal). Throws FetchError: sslConnectError
    // (35), peerFailedVerification (60), operationTimedOut (28) when deadline passes.
    TlsTransport(const tls::ClientContext& context, net::Fd socket, const std::string& host,
                 std::uint16_t port, const Deadline& deadline, const Trace& trace);

    ReadResult read(std::span<char> buffer, const Deadline& deadline) override;
    IoStatus writeAll(std::string_view data, const Deadline& deadline) override;

  private:
    // Declared before stream_ so the SSL object, which uses the fd, is freed first.
    net::Fd socket_;
    tls::Stream stream_;
};

}  // namespace sockchat::http
