#pragma once
// Reply: an owned copy of one Redis reply. hiredis frees its replies as soon as the callback
// returns, so every reply is copied into one of these before any caller sees it: nothing outside
// src/redis ever holds hiredis memory.
#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace sockchat::redis {

class Reply {
  public:
    enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };

    Reply() = default;  // nil
    static Reply nil() { return Reply(); }
    static Reply status(std::string text) { return Reply(Type::kStatus, std::move(text)); }
    static Reply error(std::string text) { return Reply(Type::kError, std::move(text)); }
    static Reply string(std::string bytes) { return Reply(Type::kString, std::move(bytes)); }
    static Reply integer(std::int64_t value);
    static Reply array(std::vector<Reply> elements);
    // Deep copy of a hiredis reply (RESP2 types).
    static Reply fromHiredis(const redisReply& reply);

    Type type() const { return type_; }
    bool isNil() const { return type_ == Type::kNil; }
    bool isStatus() const { return type_ == Type::kStatus; }
    bool isError() const { return type_ == Type::kError; }
    bool isInteger() const { return type_ == Type::kInteger; }
    bool isString() const { return type_ == Type::kString; }
    bool isArray() const { return type_ == Type::kArray; }

    // Text of a status, error or string reply (binary safe); empty for the other types.
    const std::string& str() const { return text_; }
    // Value of an integer reply; 0 for the other types.
    std::int64_t integer() const { return integer_; }
    // Elements of an array reply; empty for the other types.
    const std::vector<Reply>& elements() const { return elements_; }

    // For tests and logs: e.g. `["message", "ch", 42]`, `(error) ERR x`, `(nil)`.
    std::string describe() const;

    friend bool operator==(const Reply&, const Reply&) = default;

  private:
    Reply(Type type, std::string text) : type_(type), text_(std::move(text)) {}

    Type type_ = Type::kNil;
    std::string text_;
    std::int64_t integer_ = 0;
    std::vector<Reply> elements_;
};

}  // namespace sockchat::redis
