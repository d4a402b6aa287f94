#include "sockchat/redis/reply.h"

#include <hiredis/hiredis.h>

namespace sockchat::redis {

Reply Reply::integer(std::int64_t value) {
    Reply reply;
    reply.type_ = Type::kInteger;
    reply.integer_ = value;
    return reply;
}

Reply Reply::array(std::vector<Reply> elements) {
    Reply reply;
    reply.type_ = Type::kArray;
    reply.elements_ = std::move(elements);
    return reply;
}

Reply Reply::fromHiredis(const redisReply& reply) {
    auto text = [&] { return std::string(reply.str, reply.len); };
    switch (reply.type) {
        case REDIS_REPLY_STATUS:
            return status(text());
        case REDIS_REPLY_ERROR:
            return error(text());
        case REDIS_REPLY_STRING:
            return string(text());
        case REDIS_REPLY_INTEGER:
            return integer(reply.integer);
        case REDIS_REPLY_ARRAY: {
            std::vector<Reply> elements;
            elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i)
                elements.push_back(fromHiredis(*reply.element[i]));
            return array(std::move(elements));
        }
        default:  // REDIS_REPLY_NIL
            return nil();
    }
}

std::string Reply::describe() const {
    switch (type_) {
        case Type::kNil:
            return "(nil)";
        case Type::kStatus:
            return text_;
        case Type::kError:
            return "(error) " + text_;
        case Type::kInteger:
            return std::to_string(integer_);
        case Type::kString:
            return "\"" + text_ + "\"";
        case Type::kArray: {
            std::string out = "[";
            for (std::size_t i = 0; i < elements_.size(); ++i) {
                if (i) out += ", ";
                out += elements_[i].describe();
            }
            return out + "]";
        }
    }
    return {};
}

}  // namespace sockchat::redis
