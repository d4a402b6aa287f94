#pragma once
// What the sockctl integration tests share: listener lines for a test config, and the
// SockctlInteractive fixture, sockctl in a real terminal (tmux) with helpers to wait for its
// prompt and its exit. Used by sockctl_test.cc and sockctl_ui_test.cc.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "daemon_process.h"
#include "sockctl_process.h"
#include "tmux_session.h"

namespace sockctl_test {

inline std::string echoListener(const std::string& address = "127.0.0.1:0") {
    return "  - {service: echo, address: \"" + address + "\"}\n";
}

inline std::string chatListener(const std::string& address = "127.0.0.1:0") {
    return "  - {service: chat, address: \"" + address + "\"}\n";
}

// sockctl run to completion (bounded), its output checked for sanitizer reports.
inline sockchat::testing::ProcessResult sockctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{SOCKCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = sockchat::testing::runProgram(argv, std::chrono::seconds(20));
    expectNoSanitizerReport(r.stderrText, "sockctl");
    return r;
}

inline std::string at(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

// How often `what` occurs in `text` (overlapping occurrences count).
inline std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t pos = text.find(what); pos != std::string::npos;
         pos = text.find(what, pos + 1))
        ++n;
    return n;
}

}  // namespace sockctl_test

using namespace sockctl_test;
using namespace sockchat::testing;

class SockctlInteractive : public ::testing::Test {
  protected:
    // sockctl in a tmux pane `columns` wide, with NO_COLOR unset unless `env` sets it
    // ("NO_COLOR=1 "); its
    // stderr goes to a file (checked for sanitizer reports), and its exit code is printed on
    // the screen when it ends.
    std::unique_ptr<TmuxSession> start(std::uint16_t port, const std::string& nick,
                                       const std::string& env = "",
                                       const std::string& extraArgs = "", int columns = 80) {
        stderrFiles_.push_back(std::make_unique<TempFile>("", "stderr"));
        // The input history goes to the test's own state directory, never the developer's
        // ~/.local/state (env may name another one).
        std::string command = "unset NO_COLOR; XDG_STATE_HOME=" + stateDir() + " " + env +
                              SOCKCTL_BIN + " chat " + at(port) + " --nick " + nick + extraArgs +
                              " 2>" + stderrFiles_.back()->path() +
                              "; echo SOCKCTL-EXIT=$?; exec sleep 600";
        return std::make_unique<TmuxSession>(command, columns, 24);
    }

    // Waits for the prompt of nick in #lobby; the screen then.
    static std::string waitForPrompt(TmuxSession& term, const std::string& nick, bool* ok) {
        return term.waitForScreen(
            [&](const std::string& s) { return lastLine(s) == "[#lobby] " + nick + ">"; }, 10s, ok);
    }

    // start(), then waits for the prompt (a failed expectation if it does not come).
    std::unique_ptr<TmuxSession> startAtPrompt(std::uint16_t port, const std::string& nick,
                                               const std::string& env = "",
                                               const std::string& extraArgs = "",
                                               int columns = 80) {
        auto term = start(port, nick, env, extraArgs, columns);
        bool ok = false;
        std::string screen = waitForPrompt(*term, nick, &ok);
        EXPECT_TRUE(ok) << screen;
        return term;
    }

    // alice at her prompt, then her daemon stopped: the port it was on and alice's terminal
    // once sockctl said the connection is lost (a failed expectation if it did not).
    struct Offline {
        std::uint16_t port = 0;
        std::unique_ptr<TmuxSession> term;
    };
    Offline aliceOffline() {
        DaemonProcess daemon(testConfig(chatListener()));
        Offline offline{daemon.port(), startAtPrompt(daemon.port(), "alice")};
        EXPECT_EQ(daemon.stop(), 0);
        // sockctl's own lines have their time too.
        const std::regex lost("\\[[0-9:]{5}\\] -- connection to " + at(offline.port) + " lost");
        bool ok = false;
        std::string screen = offline.term->waitForScreen(
            [&](const std::string& s) { return std::regex_search(s, lost); }, 10s, &ok);
        EXPECT_TRUE(ok) << screen;
        return offline;
    }

    // Waits until the screen shows text; whether it did (a failed expectation if not).
    static bool waitToSee(TmuxSession& term, const std::string& text,
                          std::chrono::milliseconds timeout = 10s) {
        bool ok = false;
        std::string screen = term.waitForScreen(
            [&](const std::string& s) { return s.find(text) != std::string::npos; }, timeout, &ok);
        EXPECT_TRUE(ok) << "waiting for \"" << text << "\" on\n" << screen;
        return ok;
    }

    // Waits for sockctl to exit; the screen then, with "SOCKCTL-EXIT=<status>".
    static std::string waitForExit(TmuxSession& term, bool* ok) {
        return term.waitForScreen(
            [](const std::string& s) { return s.find("SOCKCTL-EXIT=") != std::string::npos; }, 10s,
            ok);
    }

    // bob (in pipe mode) comes, says "hello from bob" and leaves.
    static void bobSaysHello(std::uint16_t port) {
        SockctlProcess bob({"chat", at(port), "--nick", "bob"});
        bob.write("hello from bob\n");
        bob.closeStdin();
        EXPECT_EQ(bob.waitExit(), 0) << bob.stderrText();
    }

    // Once alice's prompt is there: bob says hello, and alice types an unknown command. Returns the
    // screen with escapes (screenWithEscapes) once all of it is shown: another's nick, notices, an
    // error.
    static std::string everythingColourable(TmuxSession& term, std::uint16_t port) {
        bool ok = false;
        std::string screen = waitForPrompt(term, "alice", &ok);
        EXPECT_TRUE(ok) << screen;
        bobSaysHello(port);
        term.type("/frobnicate");
        term.key("Enter");
        screen = term.waitForScreen(
            [](const std::string& s) {
                return s.find("<bob> hello from bob") != std::string::npos &&
                       s.find("bob left #lobby") != std::string::npos &&
                       s.find("! unknown command /frobnicate") != std::string::npos;
            },
            10s, &ok);
        EXPECT_TRUE(ok) << screen;
        return term.screenWithEscapes();
    }

    // Waits until the screen shows the rendered message `[HH:MM] <from> text` above the prompt
    // line `prompt`, redrawn (it may follow the message a moment later) with what was typed into
    // it, there once.
    static void expectMessageAbovePrompt(TmuxSession& term, const std::string& from,
                                         const std::string& text, const std::string& prompt,
                                         const std::string& typed) {
        const std::regex message("(^|\n)\\[[0-2][0-9]:[0-5][0-9]\\] <" + from + "> " + text + "\n");
        bool ok = false;
        std::string screen = term.waitForScreen(
            [&](const std::string& s) {
                return std::regex_search(s, message) && lastLine(s) == prompt + typed;
            },
            10s, &ok);
        ASSERT_TRUE(ok) << screen;
        EXPECT_LT(screen.find("<" + from + "> " + text), screen.rfind(prompt)) << screen;
        if (!typed.empty()) {
            EXPECT_EQ(screen.find(typed), screen.rfind(typed)) << screen;
        }
    }

    // Presses keyName (C-d) and expects sockctl to exit with status 0.
    static void expectLeavesWithStatusZero(TmuxSession& term, const std::string& keyName) {
        term.key(keyName);
        bool ok = false;
        std::string screen = waitForExit(term, &ok);
        ASSERT_TRUE(ok) << screen;
        EXPECT_NE(screen.find("SOCKCTL-EXIT=0"), std::string::npos) << screen;
    }

    // A temporary XDG_STATE_HOME for this test, removed after it.
    const std::string& stateDir() {
        if (stateDir_.empty()) {
            std::string tmpl =
                (std::filesystem::temp_directory_path() / "sockctl-state-XXXXXX").string();
            if (::mkdtemp(tmpl.data())) stateDir_ = tmpl;
        }
        return stateDir_;
    }

    void TearDown() override {
        if (!stateDir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(stateDir_, ec);
        }
        for (const auto& file : stderrFiles_) {
            std::ifstream in(file->path());
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            expectNoSanitizerReport(text, "interactive sockctl");
        }
    }

    std::vector<std::unique_ptr<TempFile>> stderrFiles_;
    std::string stateDir_;
};
