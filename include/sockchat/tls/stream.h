#pragma once
// Stream: TLS over a connected non-blocking socket, for event loops (the daemon's connections,
// sockctl's poll loop) and for sockfetch's blocking-with-deadline reads. Every call returns at
// once: WANT_READ / WANT_WRITE tell the caller which readiness to wait for, so the same object
// serves epoll and poll alike. The socket stays owned by the caller and must outlive the Stream.
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sockchat::tls {

enum class Io {
    ok,         // done: *n bytes read or written (handshake: complete)
    wantRead,   // call again when the socket is readable
    wantWrite,  // call again when the socket is writable
    closed,     // the peer ended the session (close_notify, or TCP EOF without it)
    failed,     // protocol or socket error; error() says which
};

class Stream {
  public:
    // Server side of an accepted socket.
    static Stream accept(SSL_CTX* context, int fd);
    // Client side: `host` (a name or an IP literal) is sent as SNI when it is a name, and the
    // certificate is checked against it when the context verifies peers.
    static Stream connect(SSL_CTX* context, int fd, const std::string& host);

    Stream(Stream&&) noexcept = default;
    Stream& operator=(Stream&&) noexcept = default;

    Io handshake();
    Io read(char* buffer, std::size_t size, std::size_t* n);
    Io write(const char* data, std::size_t size, std::size_t* n);
    // Sends close_notify once, without waiting for the peer's (best effort: the caller then
    // half-closes the TCP connection as it would for plain text).
    void shutdown();

    // Decrypted bytes OpenSSL holds that a read returns without touching the socket: epoll
    // cannot see them, so the caller reads again instead of waiting.
    bool hasBufferedInput() const;
    // Bytes of ciphertext written to the socket so far (what the kernel's SIOCOUTQ counts).
    std::uint64_t wireBytesWritten() const;

    // After failed: the reason, e.g. "wrong version number", "certificate verify failed:
    // certificate has expired", "Connection reset by peer".
    const std::string& error() const { return error_; }
    // After failed, for callers that word failures their own way (sockfetch imitates curl):
    // what kind of failure it was, and its details.
    enum class Failure {
        none,
        protocol,  // OpenSSL refused something: errorLine() has its full text (may be "")
        socket,    // a socket call failed: socketErrno() says how
        eof,       // TCP EOF before the handshake finished
    };
    Failure failure() const { return failure_; }
    // OpenSSL's full form of the error, "error:0A00010B:SSL routines::wrong version number".
    const std::string& errorLine() const { return errorLine_; }
    int socketErrno() const { return socketErrno_; }
    // After a failed client handshake: the certificate check's reason ("certificate has expired",
    // "Hostname mismatch"), or "" when the certificate was not the reason.
    std::string verifyFailure() const;
    bool handshakeDone() const;

    // The SNI name: sent (client; "" for an IP literal, which SNI cannot carry) or received
    // (server; "" when the client sent none).
    std::string serverName() const;
    std::string version() const;  // "TLSv1.3"
    std::string cipher() const;   // "TLS_AES_256_GCM_SHA384"
    // The peer certificate's subject CN, "" when it sent none.
    std::string peerCommonName() const;
    std::string peerSubject() const;  // one line, "" when none
    std::string peerIssuer() const;
    SSL* native() const { return ssl_.get(); }

  private:
    explicit Stream(SSL* ssl) : ssl_(ssl) {}
    Io result(int rc, const char* operation);

    struct Free {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    std::unique_ptr<SSL, Free> ssl_;
    std::string error_;
    std::string errorLine_;
    Failure failure_ = Failure::none;
    int socketErrno_ = 0;
    bool shutdownSent_ = false;
};

}  // namespace sockchat::tls
