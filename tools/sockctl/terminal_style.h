#pragma once
// Whether sockctl may style its output (chat's colours, the admin tables' bold header).
namespace sockctl {

// Only for a person at a terminal who did not opt out: https://no-color.org, NO_COLOR set to
// anything non-empty. noColor is getenv("NO_COLOR"); a pure function so that the rule is tested.
bool wantTerminalStyle(bool stdoutIsTerminal, const char* noColor);

}  // namespace sockctl
