#include "tls_flags.h"

namespace sockctl {

std::optional<std::string> TlsFlags::givenOption() const {
    if (!caFile.empty()) return "--cacert";
    if (insecure) return "--insecure";
    if (!certFile.empty()) return "--cert";
    if (!keyFile.empty()) return "--key";
    return std::nullopt;
}

sockchat::tls::ClientOptions TlsFlags::clientOptions() const {
    return {.verifyPeer = !insecure, .caFile = caFile, .certFile = certFile, .keyFile = keyFile};
}

void addTlsOptions(CLI::App& command, TlsFlags& flags) {
    command.add_flag("--tls", flags.tls,
                     "connect with TLS (automatic when the listener found in the config has a "
                     "tls: block; with the address from the config, its TLS listener is chosen)");
    command
        .add_option("--cacert", flags.caFile,
                    "verify the server's certificate with the CA certificates in FILE (PEM) "
                    "instead of the system store")
        ->type_name("FILE");
    command.add_flag("-k,--insecure", flags.insecure,
                     "do not verify the server's certificate (the connection is still encrypted)");
    command
        .add_option("--cert", flags.certFile,
                    "client certificate to present (PEM; may hold the key too)")
        ->type_name("FILE");
    command.add_option("--key", flags.keyFile, "the client certificate's private key (PEM)")
        ->type_name("FILE");
}

}  // namespace sockctl
