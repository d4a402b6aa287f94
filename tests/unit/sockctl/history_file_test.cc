// Where the input history lives, and that it is private.
#include "history_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace sockctl {
namespace {

TEST(SockctlHistoryFile, XdgStateHomeElseHomeLocalState) {
    EXPECT_EQ(historyPath("/x/state", "/home/a"), "/x/state/sockctl/history");
    EXPECT_EQ(historyPath(nullptr, "/home/a"), "/home/a/.local/state/sockctl/history");
    EXPECT_EQ(historyPath("", "/home/a"), "/home/a/.local/state/sockctl/history");
    // A relative XDG_STATE_HOME is invalid by the spec, and ignored.
    EXPECT_EQ(historyPath("state", "/home/a"), "/home/a/.local/state/sockctl/history");
    EXPECT_EQ(historyPath(nullptr, nullptr), std::nullopt);
}

TEST(SockctlHistoryFile, CreatedPrivate) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockctl-hist-XXXXXX").string();
    ASSERT_TRUE(::mkdtemp(tmpl.data()));
    std::string path = tmpl + "/state/sockctl/history";
    EXPECT_EQ(prepareHistoryFile(path), std::nullopt);
    struct stat st {};
    ASSERT_EQ(::stat((tmpl + "/state/sockctl").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat((tmpl + "/state").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // Again: all there, nothing to do.
    EXPECT_EQ(prepareHistoryFile(path), std::nullopt);
    // Not creatable: said why.
    auto error = prepareHistoryFile(path + "/below-a-file");
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("below-a-file"), std::string::npos) << *error;
    std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace sockctl
