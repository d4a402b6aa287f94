#pragma once
// ChatClient: a line-oriented test client for the chat service, waiting on expected lines with
// deadlines (never sleeping).
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "test_client.h"

namespace sockchat::testing {

class ChatClient {
  public:
    explicit ChatClient(std::uint16_t port, const std::string& host = "127.0.0.1")
        : client_(port, host) {}

    void send(const std::string& line) { client_.send(line + "\n"); }
    void sendRaw(std::string_view bytes) { client_.send(bytes); }
    TestClient& socket() { return client_; }

    // Next line (without "\n"), or "" with timedOut() true after the deadline or at EOF.
    [[nodiscard]] std::string nextLine(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads lines until one satisfies pred; returns it ("" on timeout). Skipped lines are kept
    // in skipped() for inspection.
    [[nodiscard]] std::string waitFor(const std::function<bool(const std::string&)>& pred,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
    [[nodiscard]] std::string waitForLine(const std::string& exact) {
        return waitFor([&](const std::string& l) { return l == exact; });
    }
    [[nodiscard]] std::string waitForPrefix(const std::string& prefix) {
        return waitFor([&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
    }
    // The text-mode welcome up to the nick, and the nick out of a whole welcome line.
    static constexpr const char* kWelcomePrefix = "-!- Welcome to sockchatd! You are ";
    static std::string nickOfWelcome(const std::string& welcome);
    // Reads the connect greeting up to the own join line; returns the assigned nick. Throws if
    // the greeting does not come.
    std::string readGreeting();
    // Sets the nick and waits until the server confirmed it; throws if it did not.
    void nick(const std::string& name);
    const std::vector<std::string>& skipped() const { return skipped_; }
    bool closed() const { return closed_; }

  private:
    TestClient client_;
    std::string buffer_;
    std::vector<std::string> skipped_;
    bool closed_ = false;
};

}  // namespace sockchat::testing
