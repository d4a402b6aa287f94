#pragma once
// TestPki: certificates made by the test itself with the OpenSSL API, written as PEM files into
// a directory: a CA, server certificates signed by it (good, expired, for another name), one
// signed by a CA nobody trusts, and a client certificate. Keys are P-256, files mode 0600.
#include <string>

namespace sockchat::testing {

class TestPki {
  public:
    struct Pair {
        std::string cert, key;  // file paths
    };

    // Makes the CA and every certificate below in `dir` (which must exist).
    explicit TestPki(std::string dir);

    // A server certificate for localhost, 127.0.0.1 and ::1, signed by the CA, with this serial
    // (hex in the daemon's log): rotation tests issue a second one.
    Pair issueServer(const std::string& name, long serial, long validFromDays = -1,
                     long validToDays = 30) const;

    std::string caCert;   // trust anchor for the good certificates
    std::string otherCa;  // a CA that signed `untrusted` only
    Pair server;          // serial 0x1001
    Pair expired;         // valid until yesterday
    Pair wrongName;       // DNS:other.example only
    Pair untrusted;       // right names, signed by otherCa
    Pair client;          // client certificate, CN=alice, signed by the CA

  private:
    std::string dir_;
};

}  // namespace sockchat::testing
