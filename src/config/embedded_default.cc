// The built-in default config. Its text is etc/sockchatd.yaml itself, compiled in by
// src/config/CMakeLists.txt (embedded_default_yaml.cc), so the two can never disagree.
#include <stdexcept>

#include "sockchat/config/loader.h"

namespace sockchat::config {

LoadResult loadEmbeddedDefault() {
    return loadConfigString(embeddedDefaultYaml(), "<built-in default>");
}

Config embeddedDefaultConfig() {
    LoadResult loaded = loadEmbeddedDefault();
    if (!loaded.config)
        throw std::logic_error("invalid built-in config: " + loaded.error->toString());
    return std::move(*loaded.config);
}

}  // namespace sockchat::config
