#pragma once
// echo: every read of n bytes is answered with prefix + those n bytes. The default prefix
// "hello " keeps the tutorial's client working (sends "Wilson", receives "hello Wilson");
// an empty prefix is RFC 862 echo.
#include <string>

#include "service.h"

namespace sockchatd {

class EchoService : public Service {
  public:
    explicit EchoService(std::string prefix) : prefix_(std::move(prefix)) {}

    void setPrefix(std::string prefix) { prefix_ = std::move(prefix); }

    void onData(Connection& conn, std::string_view bytes) override;
    bool pausesOnFullOutput() const override { return true; }
    // An echo client would take any refusal text for an echo: close without a word.
    std::optional<std::string> refusalLine(std::string_view) const override { return {}; }

  private:
    std::string prefix_;
    std::string scratch_;  // reused so each reply costs one send and no allocation
};

}  // namespace sockchatd
