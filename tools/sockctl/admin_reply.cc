#include "admin_reply.h"

#include "exit_codes.h"

namespace sockctl::admin {

Verdict judgeReply(const Json& reply, const std::string& socketPath) {
    if (!reply.is_object())
        return {kExitFailure,
                "sockctl: " + socketPath + " answered something that is not a JSON object\n"};
    const auto ok = reply.find("ok");
    if (ok != reply.end() && ok->is_boolean() && ok->get<bool>()) return {kExitOk, {}};

    const auto error = reply.find("error");
    const std::string text = error != reply.end() && error->is_string()
                                 ? printable(error->get<std::string>())
                                 : std::string("the daemon refused (no error given)");
    if (text == "permission denied")
        return {kExitNoPermission, "sockctl: " + permissionDeniedMessage(socketPath) + "\n"};
    const auto configError = reply.find("config_error");
    if (configError != reply.end() && configError->is_boolean() && configError->get<bool>())
        return {kExitConfig,
                "sockctl: reload failed: " + text + "\nsockctl: the running config stays\n"};
    return {kExitFailure, "sockctl: " + text + "\n"};
}

std::string permissionDeniedMessage(const std::string& socketPath) {
    return "permission denied on " + socketPath +
           ": run as root or as a member of the sockchatd group";
}

}  // namespace sockctl::admin
