#include "sockchat/redis/script.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace sockchat::redis {
namespace {

std::string sha1Hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA1 of a Lua script failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0xf];
    }
    return hex;
}

// EVAL/EVALSHA argv: verb, script or digest, numkeys, keys..., args...
std::vector<std::string> evalArgv(std::string verb, const std::string& body,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) {
    std::vector<std::string> argv{std::move(verb), body, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace

Script::Script(std::string source)
    : source_(std::make_shared<const std::string>(std::move(source))), sha1_(sha1Hex(*source_)) {}

void Script::run(Connection& connection, std::vector<std::string> keys,
                 std::vector<std::string> args, Connection::Callback cb) const {
    auto argv = evalArgv("EVALSHA", sha1_, keys, args);
    connection.command(std::move(argv),
                       [&connection, source = source_, keys = std::move(keys),
                        args = std::move(args), cb = std::move(cb)](Reply reply) mutable {
                           if (!reply.isError() || reply.str().rfind("NOSCRIPT", 0) != 0) {
                               cb(std::move(reply));
                               return;
                           }
                           // The Connection is alive: it only calls back while it exists.
                           connection.command(evalArgv("EVAL", *source, keys, args), std::move(cb));
                       });
}

}  // namespace sockchat::redis
