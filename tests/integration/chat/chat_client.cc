#include "chat_client.h"

#include <stdexcept>
#include <string_view>

namespace sockchat::testing {

std::string ChatClient::nextLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        // Rounded up: a poll that returns before the deadline would be taken for EOF below.
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        if (left.count() <= 0 || closed_) return "";
        std::string more = client_.recvSome(left);
        if (more.empty()) {
            // recvSome returns "" on timeout and on EOF: tell them apart with a zero-wait peek.
            if (std::chrono::steady_clock::now() < deadline) closed_ = true;
            return "";
        }
        buffer_ += more;
    }
}

std::string ChatClient::waitFor(const std::function<bool(const std::string&)>& pred,
                                std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return "";
        std::string line = nextLine(left);
        if (line.empty() && (closed_ || std::chrono::steady_clock::now() >= deadline)) return "";
        if (pred(line)) return line;
        skipped_.push_back(line);
    }
}

std::string ChatClient::nickOfWelcome(const std::string& welcome) {
    std::size_t at = std::string_view(kWelcomePrefix).size();
    return welcome.substr(at, welcome.find(' ', at) - at);
}

std::string ChatClient::readGreeting() {
    // A harness step that did not happen ends the test here, instead of letting it go on with a
    // client in an unknown state (and an empty nick).
    std::string welcome = waitForPrefix(kWelcomePrefix);
    if (welcome.empty()) throw std::runtime_error("no welcome line");
    std::string nick = nickOfWelcome(welcome);
    if (waitFor([&](const std::string& l) {
            return l.rfind("-!- " + nick + " joined #", 0) == 0;
        }).empty())
        throw std::runtime_error("no join line for " + nick);
    return nick;
}

void ChatClient::nick(const std::string& name) {
    send("/nick " + name);
    if (waitFor([&](const std::string& l) {
            return l.ends_with(" is now known as " + name);
        }).empty())
        throw std::runtime_error("/nick " + name + " was not confirmed");
}

}  // namespace sockchat::testing
