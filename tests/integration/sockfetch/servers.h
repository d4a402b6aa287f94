#pragma once
// The real servers sockfetch is tested against, each started on ephemeral loopback ports for
// one test and stopped with it: the scripted Python server (test_server.py), Python's
// http.server for static files, and nginx with a test CA and certificate made by openssl.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "process.h"

namespace sockfetch_test {

// A fresh directory under $TMPDIR, removed with everything in it at destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Writes bytes to a file in the directory and returns its path.
    std::string write(const std::string& name, const std::string& bytes) const;

  private:
    std::filesystem::path path_;
};

std::string readFile(const std::string& path);

// A port on 127.0.0.1 that nothing listens on (bound, then closed), so connecting is refused.
std::uint16_t refusedPort();
// Binds then releases an ephemeral port, for servers that cannot report the port they got.
std::uint16_t freePort();

// test_server.py: prints "PORT n" once listening (no sleeping), exits when we close its stdin.
class ScriptServer {
  public:
    enum class Mode {
        http,       // the scripted HTTP behaviours, one per path
        silentTcp,  // accepts and reads, never writes a byte (no HTTP, no TLS handshake)
    };
    explicit ScriptServer(const std::string& bind = "127.0.0.1", Mode mode = Mode::http);
    std::uint16_t port() const { return port_; }
    // "http://127.0.0.1:port" + path (or "http://[::1]:port" + path).
    std::string url(const std::string& path) const;

  private:
    std::string host_;
    Child child_;
    std::uint16_t port_ = 0;
};

// python3 -m http.server on a directory.
class StaticServer {
  public:
    explicit StaticServer(const std::string& directory);
    std::string url(const std::string& path) const;

  private:
    Child child_;
    std::uint16_t port_ = 0;
};

// A CA and two server certificates signed by it, made with the openssl CLI:
//   name cert: DNS:localhost only, served to clients that send SNI "localhost" or
//              "wrong.localhost";
//   IP cert:   IP:::1 only, served to everyone else (nginx's default server).
// So https://localhost verifies only if SNI was sent, https://[::1] only if the IP SAN is
// checked, and https://127.0.0.1 (IP) and https://wrong.localhost (DNS, with a certificate
// that verifies for another name) are the "wrong host name" cases.
struct TestPki {
    explicit TestPki(const TempDir& dir);
    std::string caCert, nameCert, nameKey, ipCert, ipKey;
};

// nginx in its own prefix (config, pid, temp dirs, document root), HTTP and HTTPS on
// 127.0.0.1 and [::1]. Runs in the foreground without a master process, so it needs no user
// switch and dies with the test.
class Nginx {
  public:
    // extraServerConfig goes into both server blocks (e.g. test locations); %HTTP_PORT% and
    // %HTTPS_PORT% in it become the ports nginx listens on.
    Nginx(const TempDir& dir, const TestPki& pki, const std::string& extraServerConfig = {});
    std::uint16_t httpPort() const { return httpPort_; }
    std::uint16_t httpsPort() const { return httpsPort_; }
    std::string docRoot() const { return docRoot_; }

  private:
    bool start(const TempDir& dir, const TestPki& pki, const std::string& extra);

    std::string docRoot_;
    std::uint16_t httpPort_ = 0;
    std::uint16_t httpsPort_ = 0;
    std::unique_ptr<Child> child_;
};

// Runs the sockfetch under test, or curl for comparison (with no proxy and no ~/.curlrc, so
// the environment cannot change what it does), with env applied to the test's environment.
RunResult sockfetch(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 20s,
                    const EnvOverrides& env = {});
RunResult curl(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 20s,
               const EnvOverrides& env = {});

// Drops "Date:" header lines, the one header that legitimately differs between two fetches
// made a moment apart.
std::string withoutDateHeaders(const std::string& text);

// A binary test file: every byte value, in a pattern that is not a repetition of 256 bytes.
std::string binaryBytes(std::size_t size);

}  // namespace sockfetch_test
