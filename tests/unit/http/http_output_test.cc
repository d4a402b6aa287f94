#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/output.h"

namespace sockchat::http {
namespace {

namespace fs = std::filesystem;

class HttpOutput : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "http_output_XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    fs::path dir_;
};

TEST_F(HttpOutput, FileIsCreatedOnFirstWrite) {
    const auto path = dir_ / "out.bin";
    Output out(path.string());
    EXPECT_FALSE(fs::exists(path));
    out.write(std::string_view("a\0b", 3));
    out.write("cd");
    out.finish();
    EXPECT_EQ(read(path), std::string("a\0bcd", 5));
}

TEST_F(HttpOutput, FinishCreatesAnEmptyFile) {
    const auto path = dir_ / "empty";
    Output out(path.string());
    out.finish();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(fs::file_size(path), 0u);
}

TEST_F(HttpOutput, NothingIsCreatedWithoutWriteOrFinish) {
    const auto path = dir_ / "never";
    { Output out(path.string()); }
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(HttpOutput, WriteFailuresAreExitCode23) {
    Output full("/dev/full");
    try {
        full.write("x");
        FAIL();
    } catch (const FetchError& e) {
        EXPECT_EQ(e.code(), FetchCode::writeError);
    }
    Output missing((dir_ / "no" / "such" / "dir").string());
    try {
        missing.finish();
        FAIL();
    } catch (const FetchError& e) {
        EXPECT_EQ(e.code(), FetchCode::writeError);
    }
}

}  // namespace
}  // namespace sockchat::http
