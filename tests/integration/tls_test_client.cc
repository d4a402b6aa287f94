#include "tls_test_client.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <poll.h>

#include <stdexcept>

#include "sockchat/net/address.h"
#include "sockchat/net/socket.h"

namespace sockchat::testing {
namespace {

sockchat::tls::ClientOptions clientOptions(const TlsTestClient::Options& o) {
    sockchat::tls::ClientOptions c;
    c.verifyPeer = !o.caFile.empty();
    c.caFile = o.caFile;
    c.certFile = o.certFile;
    c.keyFile = o.keyFile;
    return c;
}

int remainingMs(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

TlsTestClient::TlsTestClient(std::uint16_t port, Options options)
    : context_(clientOptions(options)) {
    if (options.maxVersion != 0) SSL_CTX_set_max_proto_version(context_.get(), options.maxVersion);
    const bool v6 = options.host.find(':') != std::string::npos;
    auto address = sockchat::net::SocketAddress::parse(
        (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(port));
    if (!address) throw std::runtime_error("bad address " + options.host);
    int error = 0;
    fd_ = sockchat::net::connectTcp(*address, &error);
    if (!fd_) throw std::runtime_error("cannot connect to " + address->toString());
    ::fcntl(fd_.get(), F_SETFL, ::fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
    stream_.emplace(sockchat::tls::Stream::connect(context_.get(), fd_.get(), options.host));
}

bool TlsTestClient::wait(sockchat::tls::Io want, std::chrono::steady_clock::time_point deadline) {
    pollfd p{fd_.get(), static_cast<short>(want == sockchat::tls::Io::wantWrite ? POLLOUT : POLLIN),
             0};
    return ::poll(&p, 1, remainingMs(deadline)) > 0;
}

bool TlsTestClient::handshake(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = stream_->handshake();
        if (r == sockchat::tls::Io::ok) return true;
        if (r == sockchat::tls::Io::closed || r == sockchat::tls::Io::failed) {
            error_ = stream_->error();
            if (error_.empty()) error_ = "closed during the handshake";
            return false;
        }
        if (!wait(r, deadline)) {
            error_ = "timed out";
            return false;
        }
    }
}

void TlsTestClient::send(const std::string& bytes) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::size_t done = 0;
    while (done < bytes.size()) {
        std::size_t n = 0;
        auto r = stream_->write(bytes.data() + done, bytes.size() - done, &n);
        if (r == sockchat::tls::Io::ok) {
            done += n;
            continue;
        }
        if (r != sockchat::tls::Io::wantRead && r != sockchat::tls::Io::wantWrite)
            throw std::runtime_error("TLS write failed: " + stream_->error());
        if (!wait(r, deadline)) throw std::runtime_error("TLS write timed out");
    }
}

bool TlsTestClient::readMore(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        char buf[16384];
        std::size_t n = 0;
        auto r = stream_->read(buf, sizeof buf, &n);
        if (r == sockchat::tls::Io::ok) {
            input_.append(buf, n);
            return true;
        }
        if (r == sockchat::tls::Io::closed || r == sockchat::tls::Io::failed) {
            error_ = r == sockchat::tls::Io::closed ? "closed" : stream_->error();
            return false;
        }
        if (!wait(r, deadline)) return false;
    }
}

std::optional<std::string> TlsTestClient::readLine(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto at = input_.find('\n'); at != std::string::npos) {
            std::string line = input_.substr(0, at);
            input_.erase(0, at + 1);
            return line;
        }
        if (!readMore(deadline)) return std::nullopt;
    }
}

std::string TlsTestClient::read(std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (input_.size() < n && readMore(deadline)) {
    }
    std::string out = input_.substr(0, std::min(n, input_.size()));
    input_.erase(0, out.size());
    return out;
}

bool TlsTestClient::waitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (readMore(deadline)) input_.clear();
    return !error_.empty();
}

std::string TlsTestClient::serverSerial() const {
    X509* cert = SSL_get1_peer_certificate(stream_->native());
    if (cert == nullptr) return {};
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(number);
    std::string text = hex;
    OPENSSL_free(hex);
    BN_free(number);
    X509_free(cert);
    return text;
}

}  // namespace sockchat::testing
