// Fuzz target for the config loader: whatever a config file holds, loadConfigString gives exactly
// one of a config and an error, never a crash or an escaping exception (yaml-cpp throws on bad
// YAML; the loader must turn that into the one-line error). An error is one line that names the
// file, as the daemon prints it before exiting 78.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sockchat/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view yaml(reinterpret_cast<const char*>(data), size);
    auto result = sockchat::config::loadConfigString(yaml, "fuzz.yaml");
    if (result.config.has_value() == result.error.has_value()) std::abort();
    if (result.error) {
        const std::string line = result.error->toString();
        if (line.rfind("fuzz.yaml", 0) != 0 || line.find('\n') != std::string::npos) std::abort();
    }
    return 0;
}
