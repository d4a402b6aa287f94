#pragma once
// Script: a Lua script run by its SHA1 (EVALSHA), so that only the digest crosses the wire. A
// server that does not know it yet (fresh start, failover, SCRIPT FLUSH) answers NOSCRIPT; run()
// then sends the source with EVAL, which also caches it, and the caller only sees the result.
#include <memory>
#include <string>
#include <vector>

#include "sockchat/redis/connection.h"

namespace sockchat::redis {

class Script {
  public:
    explicit Script(std::string source);

    const std::string& source() const { return *source_; }
    const std::string& sha1() const { return sha1_; }  // lower-case hex, as SCRIPT LOAD returns

    // cb gets the script's reply (or an error) exactly once. The Script may be destroyed before
    // the reply arrives; the Connection may not (its destruction drops cb, as for command()).
    void run(Connection& connection, std::vector<std::string> keys, std::vector<std::string> args,
             Connection::Callback cb) const;

  private:
    std::shared_ptr<const std::string> source_;  // shared with in-flight fallbacks
    std::string sha1_;
};

}  // namespace sockchat::redis
