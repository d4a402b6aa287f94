// The interactive client's irssi-like comforts, through the real sockctl in a real terminal
// (tmux) against the real daemon: Tab completion, history kept across runs, highlights and the
// bell, wrapped lines, timestamps and lines typed while offline; and the clear error when the
// address is not a chat service, in pipe mode too.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "sockctl_fixture.h"

namespace {

// A pipe-mode sockctl as nick in #lobby, ready (its nick taken).
std::unique_ptr<SockctlProcess> member(std::uint16_t port, const std::string& nick) {
    auto p = std::make_unique<SockctlProcess>(
        std::vector<std::string>{"chat", at(port), "--nick", nick});
    EXPECT_TRUE(p->waitForStdout(nick + " joined #lobby")) << p->stdoutText() << p->stderrText();
    return p;
}

std::string fileText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Waits until the last line (the prompt and what is typed) is line.
bool waitForLastLine(TmuxSession& term, const std::string& line) {
    bool ok = false;
    std::string screen =
        term.waitForScreen([&](const std::string& s) { return lastLine(s) == line; }, 10s, &ok);
    EXPECT_TRUE(ok) << "waiting for the last line \"" << line << "\" on\n" << screen;
    return ok;
}

// Waits until the screen matches re.
bool waitToMatch(TmuxSession& term, const std::regex& re, std::chrono::milliseconds timeout = 10s) {
    bool ok = false;
    std::string screen = term.waitForScreen(
        [&](const std::string& s) { return std::regex_search(s, re); }, timeout, &ok);
    EXPECT_TRUE(ok) << screen;
    return ok;
}

}  // namespace

TEST_F(SockctlInteractive, TabCompletesNicksAndCommands) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto term = startAtPrompt(daemon.port(), "alice");
    // bobby comes after alice: she learns the nick from his rename (and his message).
    auto bobby = member(daemon.port(), "bobby");
    bobby->write("hi all\n");
    ASSERT_TRUE(waitToSee(*term, "<bobby> hi all"));

    // A nick at the start of the line is addressed, irssi style.
    term->type("bo");
    term->key("Tab");
    ASSERT_TRUE(waitForLastLine(*term, "[#lobby] alice> bobby:"));
    term->type("hello");
    term->key("Enter");
    EXPECT_TRUE(bobby->waitForStdout("<alice> bobby: hello")) << bobby->stdoutText();

    // Commands too.
    term->type("/wh");
    term->key("Tab");
    ASSERT_TRUE(waitForLastLine(*term, "[#lobby] alice> /who"));
    term->key("Enter");
    EXPECT_TRUE(waitToMatch(*term, std::regex("-!- #lobby: .*bobby")));
    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, HistoryIsKeptAcrossRunsInXdgStateHome) {
    DaemonProcess daemon(testConfig(chatListener()));
    {
        auto term = startAtPrompt(daemon.port(), "alice");
        term->type("worth repeating");
        term->key("Enter");
        ASSERT_TRUE(waitToSee(*term, "<alice> worth repeating"));
        expectLeavesWithStatusZero(*term, "C-d");
    }
    const std::string file = stateDir() + "/sockctl/history";
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((stateDir() + "/sockctl").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_NE(fileText(file).find("worth"), std::string::npos) << fileText(file);

    // A new run: Up brings the line back.
    auto term = startAtPrompt(daemon.port(), "alice");
    term->key("Up");
    EXPECT_TRUE(waitForLastLine(*term, "[#lobby] alice> worth repeating"));
    term->key("C-c");  // Ctrl-D leaves only on an empty line
    EXPECT_TRUE(waitForLastLine(*term, "[#lobby] alice>"));
    expectLeavesWithStatusZero(*term, "C-d");
}

// A mention is highlighted in reverse video and rings the bell; with NO_COLOR there is no
// highlight, and with --no-bell no bell, also for a private message.
TEST_F(SockctlInteractive, MentionsAreHighlightedAndRingTheBell) {
    DaemonProcess daemon(testConfig(chatListener()));
    struct Case {
        std::string env, args, other;  // other: who talks to alice
        bool colour, bell;
    };
    for (const auto& c : {Case{"", "", "bob", true, true},
                          Case{"NO_COLOR=1 ", " --no-bell", "carl", false, false}}) {
        SCOPED_TRACE(c.env + c.args);
        auto term = startAtPrompt(daemon.port(), "alice", c.env, c.args);
        auto bob = member(daemon.port(), c.other);
        // Chatter that is not for alice: no bell.
        bob->write("nothing for anyone\n");
        ASSERT_TRUE(waitToSee(*term, "<" + c.other + "> nothing for anyone"));
        EXPECT_FALSE(term->bellRang());

        bob->write(c.bell ? "hey Alice, look\n" : "/msg alice hey Alice, look\n");
        ASSERT_TRUE(waitToSee(*term, "hey Alice, look"));
        // Reverse video (SGR 7, maybe with bold) right before the nick.
        std::string cells = term->screenWithEscapes();
        EXPECT_EQ(
            std::regex_search(
                cells, std::regex("hey \x1b\\[([0-9]+;)*7(;[0-9]+)*m(\x1b\\[[0-9;]*m)*Alice")),
            c.colour)
            << cells;
        EXPECT_EQ(term->bellRang(), c.bell);
        expectLeavesWithStatusZero(*term, "C-d");
    }
}

TEST_F(SockctlInteractive, LongLinesWrapUnderTheTextColumn) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto term = startAtPrompt(daemon.port(), "alice", "", "", 40);
    auto bob = member(daemon.port(), "bob");
    bob->write("one two three four five six seven eight nine ten eleven twelve\n");
    // "[HH:MM] <bob> " is 14 columns: the rest of the text goes on below it, not under the
    // time, and no word is cut.
    EXPECT_TRUE(waitToMatch(*term, std::regex("\\[[0-9:]{5}\\] <bob> one two three four five\n"
                                              " {14}six seven eight nine ten\n"
                                              " {14}eleven twelve\n")));
    // Wider now (SIGWINCH): the next line wraps at the new width.
    term->resize(60, 24);
    bob->write("thirteen fourteen fifteen sixteen seventeen eighteen nineteen\n");
    EXPECT_TRUE(waitToMatch(*term, std::regex("\\[[0-9:]{5}\\] <bob> thirteen fourteen fifteen "
                                              "sixteen seventeen\n"
                                              " {14}eighteen nineteen\n")));
    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, LinesTypedOfflineAreSentAfterTheReconnect) {
    auto [port, term] = aliceOffline();
    ASSERT_TRUE(term);
    term->type("typed while offline");
    term->key("Enter");
    term->type("and a second line");
    term->key("Enter");
    ASSERT_TRUE(waitToSee(*term, "(pending) typed while offline"));
    ASSERT_TRUE(waitToSee(*term, "(pending) and a second line"));

    DaemonProcess second(testConfig(chatListener(at(port))));
    // Back, and both lines delivered (the server's echo of them), in order, after the restore.
    EXPECT_TRUE(waitToMatch(*term,
                            std::regex("back: connected to " + at(port) +
                                       " as alice[\\s\\S]*<alice> typed while offline[\\s\\S]*"
                                       "<alice> and a second line"),
                            30s));
    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, TheOfflineQueueIsBoundedAndSaysSo) {
    auto [port, term] = aliceOffline();
    ASSERT_TRUE(term);
    // 100 lines wait; the 101st is refused, with a message.
    std::string lines;
    for (int i = 1; i <= 101; ++i) lines += "line " + std::to_string(i) + "\n";
    term->type(lines);
    ASSERT_TRUE(waitToSee(*term, "100 lines are already waiting; this one was not queued"));
    std::string screen = term->screen();
    EXPECT_NE(screen.find("(pending) line 100\n"), std::string::npos) << screen;
    EXPECT_EQ(screen.find("(pending) line 101"), std::string::npos) << screen;
    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, NotAChatServiceIsAClearErrorAndExitOne) {
    DaemonProcess daemon(testConfig(echoListener()));
    auto term = start(daemon.port(), "alice");
    bool ok = false;
    std::string screen = waitForExit(*term, &ok);
    ASSERT_TRUE(ok) << screen;
    EXPECT_NE(screen.find("SOCKCTL-EXIT=1"), std::string::npos) << screen;
    EXPECT_EQ(
        fileText(stderrFiles_.back()->path()),
        "sockctl: " + at(daemon.port()) +
            " is not a sockchatd chat service (it answered \"hello /hello json nick=alice\")\n");
}

TEST(SockctlChat, PipeModeSaysWhenTheAddressIsNotAChatService) {
    DaemonProcess daemon(testConfig(echoListener()));
    SockctlProcess script({"chat", at(daemon.port()), "--nick", "ci"});
    script.write("deploy done\n");
    script.closeStdin();
    EXPECT_EQ(script.waitExit(), 1) << script.stderrText();
    EXPECT_EQ(script.stderrText(),
              "sockctl: " + at(daemon.port()) +
                  " is not a sockchatd chat service (it answered \"hello /hello json nick=ci\")\n");
    EXPECT_EQ(script.stdoutText(), "");
}

// A server that takes the connection and says nothing (the kernel accepts it into the backlog;
// nobody reads): no welcome, so no chat service.
TEST(SockctlChat, NoWelcomeWithinFiveSecondsIsNotAChatService) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    std::uint16_t port = ntohs(addr.sin_port);
    SockctlProcess script({"chat", at(port)});
    EXPECT_EQ(script.waitExit(15s), 1) << script.stderrText();
    EXPECT_EQ(
        script.stderrText(),
        "sockctl: " + at(port) + " is not a sockchatd chat service (no welcome within 5 s)\n");
    ::close(fd);
}
