#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace sockchat::testing {
namespace {

struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
    void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key newKey() {
    Key key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("EVP_EC_gen failed");
    return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) throw std::runtime_error("bad extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// issuer == nullptr: self-signed (the CA itself).
Cert makeCert(EVP_PKEY* key, const std::string& cn, long serial, long fromDays, long toDays,
              X509* issuer, EVP_PKEY* issuerKey, const std::string& altNames, bool ca,
              bool clientUse) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), fromDays * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), toDays * 86400L);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    if (ca) {
        addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        addExtension(cert.get(), signer, NID_ext_key_usage,
                     clientUse ? "clientAuth" : "serverAuth");
        if (!altNames.empty()) addExtension(cert.get(), signer, NID_subject_alt_name, altNames);
    }
    addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) == 0)
        throw std::runtime_error("X509_sign failed");
    return cert;
}

void writeCert(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    PEM_write_X509(f, cert);
    std::fclose(f);
}

void writeKey(const std::string& path, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    ::chmod(path.c_str(), 0600);
}

struct Authority {
    Key key;
    Cert cert;
};

// The CA lives as files; each issue reads it back, so TestPki needs no OpenSSL members.
Authority loadAuthority(const std::string& certPath, const std::string& keyPath) {
    Authority a;
    FILE* f = std::fopen(certPath.c_str(), "r");
    a.cert.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    f = std::fopen(keyPath.c_str(), "r");
    a.key.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!a.cert || !a.key) throw std::runtime_error("cannot read the test CA back");
    return a;
}

TestPki::Pair issue(const std::string& dir, const std::string& stem, const Authority& ca,
                    const std::string& cn, long serial, long from, long to,
                    const std::string& altNames, bool clientUse) {
    Key key = newKey();
    Cert cert = makeCert(key.get(), cn, serial, from, to, ca.cert.get(), ca.key.get(), altNames,
                         false, clientUse);
    TestPki::Pair pair{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
    writeCert(pair.cert, cert.get());
    writeKey(pair.key, key.get());
    return pair;
}

void makeCa(const std::string& cn, const std::string& certPath, const std::string& keyPath) {
    Key key = newKey();
    Cert cert = makeCert(key.get(), cn, 1, -1, 30, nullptr, nullptr, "", true, false);
    writeCert(certPath, cert.get());
    writeKey(keyPath, key.get());
}

const char* kServerNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

}  // namespace

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {
    caCert = dir_ + "/ca.crt";
    makeCa("sockchatd test CA", caCert, dir_ + "/ca.key");
    otherCa = dir_ + "/other-ca.crt";
    makeCa("nobody's CA", otherCa, dir_ + "/other-ca.key");
    const Authority ca = loadAuthority(caCert, dir_ + "/ca.key");
    server = issue(dir_, "server", ca, "localhost", 0x1001, -1, 30, kServerNames, false);
    expired = issue(dir_, "expired", ca, "localhost", 0x1002, -3, -1, kServerNames, false);
    wrongName =
        issue(dir_, "wrong-name", ca, "other.example", 0x1003, -1, 30, "DNS:other.example", false);
    const Authority other = loadAuthority(otherCa, dir_ + "/other-ca.key");
    untrusted = issue(dir_, "untrusted", other, "localhost", 0x1004, -1, 30, kServerNames, false);
    client = issue(dir_, "client", ca, "alice", 0x2001, -1, 30, "", true);
}

TestPki::Pair TestPki::issueServer(const std::string& name, long serial, long validFromDays,
                                   long validToDays) const {
    const Authority ca = loadAuthority(caCert, dir_ + "/ca.key");
    return issue(dir_, name, ca, "localhost", serial, validFromDays, validToDays, kServerNames,
                 false);
}

}  // namespace sockchat::testing
