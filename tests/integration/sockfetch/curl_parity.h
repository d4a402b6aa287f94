#pragma once
// Assertions that put sockfetch next to curl: same exit code, same bytes on stdout.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "servers.h"

namespace sockfetch_test {

// Where two outputs first differ, instead of dumping megabytes of binary into the log.
inline ::testing::AssertionResult sameBytes(const std::string& expected,
                                            const std::string& actual) {
    if (expected == actual) return ::testing::AssertionSuccess();
    std::size_t i = 0;
    while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
    auto excerpt = [&](const std::string& s) { return ::testing::PrintToString(s.substr(i, 40)); };
    return ::testing::AssertionFailure() << "sizes " << expected.size() << " vs " << actual.size()
                                         << ", first difference at byte " << i << ": "
                                         << excerpt(expected) << " vs " << excerpt(actual);
}

struct Compared {
    RunResult curl, sockfetch;
};

// Runs both with the same arguments; expects exit code `code` from both and equal stdout
// (Date headers aside, when maskDate). Returns both results for further checks.
inline Compared expectSameAsCurl(const std::vector<std::string>& args, int code = 0,
                                 bool maskDate = false) {
    Compared r{curl(args), sockfetch(args)};
    const std::string what = ::testing::PrintToString(args);
    EXPECT_EQ(r.curl.exitCode, code) << "curl " << what << ": " << r.curl.err;
    EXPECT_EQ(r.sockfetch.exitCode, code) << "sockfetch " << what << ": " << r.sockfetch.err;
    EXPECT_FALSE(r.sockfetch.timedOut) << what;
    if (maskDate) {
        EXPECT_TRUE(sameBytes(withoutDateHeaders(r.curl.out), withoutDateHeaders(r.sockfetch.out)))
            << what;
    } else {
        EXPECT_TRUE(sameBytes(r.curl.out, r.sockfetch.out)) << what;
    }
    return r;
}

// "sockfetch: (7) ..." → the one error line sockfetch printed (stderr must have exactly one).
inline std::string errorLine(const RunResult& r) {
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    return r.err.substr(0, r.err.find('\n'));
}

}  // namespace sockfetch_test
