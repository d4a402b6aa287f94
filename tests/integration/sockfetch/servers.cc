#include "servers.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sockchat/net/socket.h"

namespace sockfetch_test {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sockfetch_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& bytes) const {
    const std::string p = file(name);
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream out(p, std::ios::binary);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + p);
    return p;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

namespace {

std::uint16_t boundPort(int backlog) {
    int error = 0;
    sockchat::net::Fd fd = sockchat::net::listenTcp(
        *sockchat::net::SocketAddress::parse("127.0.0.1:0"), backlog, &error);
    if (!fd) throw std::runtime_error("cannot bind a loopback port");
    return sockchat::net::localAddress(fd.get()).port();
}

std::string python() {
    return SOCKFETCH_TEST_PYTHON;
}

// "Serving HTTP on 127.0.0.1 port 41234 (http://...) ..." → 41234
std::uint16_t portFromLine(const std::string& line, const std::string& marker) {
    const auto at = line.find(marker);
    if (at == std::string::npos) throw std::runtime_error("unexpected server line: " + line);
    return static_cast<std::uint16_t>(std::stoi(line.substr(at + marker.size())));
}

bool canConnect(std::uint16_t port, int family) {
    const std::string text =
        family == AF_INET6 ? "[::1]:" + std::to_string(port) : "127.0.0.1:" + std::to_string(port);
    int error = 0;
    return sockchat::net::connectTcp(*sockchat::net::SocketAddress::parse(text), &error).valid();
}

}  // namespace

std::uint16_t refusedPort() {
    return boundPort(1);
}
std::uint16_t freePort() {
    return boundPort(1);
}

namespace {

std::vector<std::string> scriptServerArgv(const std::string& bind, ScriptServer::Mode mode) {
    std::vector<std::string> argv = {python(), "-u", SOCKFETCH_TEST_SERVER, "--bind", bind};
    if (mode == ScriptServer::Mode::silentTcp) argv.push_back("--silent");
    return argv;
}

}  // namespace

ScriptServer::ScriptServer(const std::string& bind, Mode mode)
    : host_(bind.find(':') != std::string::npos ? "[" + bind + "]" : bind),
      child_(scriptServerArgv(bind, mode)) {
    port_ = portFromLine(child_.readLine(), "PORT ");
}

std::string ScriptServer::url(const std::string& path) const {
    return "http://" + host_ + ":" + std::to_string(port_) + path;
}

StaticServer::StaticServer(const std::string& directory)
    : child_({python(), "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory,
              "0"},
             "/dev/null") {  // its access log goes to stderr; keep test output readable
    port_ = portFromLine(child_.readLine(), " port ");
}

std::string StaticServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

namespace {

void runOpenssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SOCKFETCH_TEST_OPENSSL};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = run(argv, 30s);
    if (r.exitCode != 0) throw std::runtime_error("openssl failed: " + r.err);
}

// A P-256 key (made in milliseconds, unlike RSA) and a certificate for it signed by the CA.
void makeServerCert(const TempDir& dir, const std::string& name, const std::string& subjectAltName,
                    const std::string& caCert, const std::string& caKey, const std::string& cert,
                    const std::string& key) {
    const std::string csr = dir.file(name + ".csr");
    const std::string ext = dir.write(name + ".ext", "subjectAltName=" + subjectAltName +
                                                         "\nbasicConstraints=CA:FALSE\n"
                                                         "keyUsage=critical,digitalSignature\n"
                                                         "extendedKeyUsage=serverAuth\n");
    runOpenssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=" + name});
    runOpenssl({"x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial",
                "-out", cert, "-days", "2", "-extfile", ext});
}

}  // namespace

TestPki::TestPki(const TempDir& dir)
    : caCert(dir.file("ca.crt")),
      nameCert(dir.file("name.crt")),
      nameKey(dir.file("name.key")),
      ipCert(dir.file("ip.crt")),
      ipKey(dir.file("ip.key")) {
    const std::string caKey = dir.file("ca.key");
    runOpenssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", caKey, "-out", caCert, "-days", "2", "-subj",
                "/CN=sockfetch test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign"});
    makeServerCert(dir, "localhost", "DNS:localhost", caCert, caKey, nameCert, nameKey);
    makeServerCert(dir, "ip6-loopback", "IP:::1", caCert, caKey, ipCert, ipKey);
}

Nginx::Nginx(const TempDir& dir, const TestPki& pki, const std::string& extra) {
    docRoot_ = dir.file("www");
    fs::create_directories(docRoot_);
    // freePort() releases the port before nginx binds it; another process could take it in
    // between, so a failed start is retried with new ports.
    for (int attempt = 0; attempt < 3; ++attempt)
        if (start(dir, pki, extra)) return;
    throw std::runtime_error("nginx did not start; log: " + readFile(dir.file("nginx.log")));
}

bool Nginx::start(const TempDir& dir, const TestPki& pki, const std::string& extraTemplate) {
    httpPort_ = freePort();
    httpsPort_ = freePort();
    std::string extra = extraTemplate;
    for (const auto& [key, port] : {std::pair{std::string("%HTTP_PORT%"), httpPort_},
                                    std::pair{std::string("%HTTPS_PORT%"), httpsPort_}})
        for (auto at = extra.find(key); at != std::string::npos; at = extra.find(key))
            extra.replace(at, key.size(), std::to_string(port));
    const std::string p = dir.path().string();
    std::string conf;
    conf += "master_process off;\ndaemon off;\npid " + p + "/nginx.pid;\nerror_log stderr;\n";
    conf += "events { worker_connections 64; }\n";
    conf += "http {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
        conf += std::string("  ") + t + "_temp_path " + p + "/" + t + ";\n";
    conf += "  types { text/html html; application/octet-stream bin; }\n";
    conf += "  default_type application/octet-stream;\n";
    conf += "  ssl_protocols TLSv1.2 TLSv1.3;\n";
    conf += "  server {\n    listen 127.0.0.1:" + std::to_string(httpPort_) +
            ";\n    listen [::1]:" + std::to_string(httpPort_) + ";\n    root " + docRoot_ + ";\n" +
            extra + "  }\n";
    // Two HTTPS servers on one port: nginx picks by SNI (see TestPki).
    const std::string https = std::to_string(httpsPort_);
    conf += "  server {\n    listen 127.0.0.1:" + https +
            " ssl default_server;\n    listen [::1]:" + https +
            " ssl default_server;\n    ssl_certificate " + pki.ipCert +
            ";\n    ssl_certificate_key " + pki.ipKey + ";\n    root " + docRoot_ + ";\n" + extra +
            "  }\n";
    conf += "  server {\n    listen 127.0.0.1:" + https + " ssl;\n    listen [::1]:" + https +
            " ssl;\n    server_name localhost wrong.localhost;\n    ssl_certificate " +
            pki.nameCert + ";\n    ssl_certificate_key " + pki.nameKey + ";\n    root " + docRoot_ +
            ";\n" + extra + "  }\n}\n";
    const std::string confPath = dir.write("nginx.conf", conf);
    child_ = std::make_unique<Child>(
        std::vector<std::string>{SOCKFETCH_TEST_NGINX, "-e", "stderr", "-p", p, "-c", confPath},
        dir.file("nginx.log"));
    // nginx cannot announce readiness on a pipe; poll-connect with a deadline instead.
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        if (!child_->running()) return false;
        if (canConnect(httpPort_, AF_INET) && canConnect(httpsPort_, AF_INET) &&
            canConnect(httpPort_, AF_INET6) && canConnect(httpsPort_, AF_INET6))
            return true;
        std::this_thread::sleep_for(
            5ms);  // poll interval of the readiness loop, not a wait-for-luck
    }
    return false;
}

RunResult sockfetch(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                    const EnvOverrides& env) {
    std::vector<std::string> argv = {SOCKFETCH_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout, env);
}

RunResult curl(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
               const EnvOverrides& env) {
    std::vector<std::string> argv = {SOCKFETCH_TEST_CURL, "-q", "--noproxy", "*"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout, env);
}

std::string withoutDateHeaders(const std::string& text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string_view line(text.data() + pos, end - pos);
        if (!line.starts_with("Date: ")) out.append(line);
        pos = end;
    }
    return out;
}

std::string binaryBytes(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
    return out;
}

}  // namespace sockfetch_test
