#include "sockchat/redis/sentinel.h"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <memory>

namespace sockchat::redis {

std::optional<TcpTarget> askSentinels(const std::vector<TcpTarget>& sentinels,
                                      const std::string& master, std::chrono::milliseconds timeout,
                                      std::string* error) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    for (const auto& sentinel : sentinels) {
        std::unique_ptr<redisContext, decltype(&redisFree)> c(
            redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, tv), &redisFree);
        std::string where = sentinel.host + ":" + std::to_string(sentinel.port);
        if (!c || c->err) {
            if (error) *error = "sentinel " + where + ": " + (c ? c->errstr : "out of memory");
            continue;
        }
        redisSetTimeout(c.get(), tv);
        auto* raw = static_cast<redisReply*>(redisCommand(
            c.get(), "SENTINEL get-master-addr-by-name %b", master.data(), master.size()));
        std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(raw, &freeReplyObject);
        if (!reply) {
            if (error) *error = "sentinel " + where + ": " + c->errstr;
            continue;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
            if (error)
                *error = "sentinel " + where + ": does not know master " + master +
                         (reply->type == REDIS_REPLY_ERROR ? std::string(": ") + reply->str : "");
            continue;
        }
        TcpTarget target;
        target.host.assign(reply->element[0]->str, reply->element[0]->len);
        target.port = static_cast<std::uint16_t>(std::strtoul(reply->element[1]->str, nullptr, 10));
        if (target.port == 0) continue;
        return target;
    }
    return std::nullopt;
}

}  // namespace sockchat::redis
