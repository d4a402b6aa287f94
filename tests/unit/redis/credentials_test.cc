#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "sockchat/redis/credentials.h"

namespace sockchat::redis {
namespace {

class CredentialsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sockchat_credentials_testXXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/password";
    }
    void TearDown() override {
        std::remove(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    // Writes the password file with the given mode.
    void write(const std::string& text, mode_t mode = 0600) {
        std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
        ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    }
    Credentials read() {
        std::string error;
        std::optional<Credentials> credentials = readCredentials(path_, &error);
        EXPECT_TRUE(credentials) << error;
        return credentials.value_or(Credentials{"(failed)", "(failed)"});
    }
    std::string failure() {
        std::string error;
        EXPECT_FALSE(readCredentials(path_, &error));
        return error;
    }
    std::string dir_;
    std::string path_;
};

TEST_F(CredentialsTest, APasswordAlone) {
    write("s3cret\n");
    EXPECT_EQ(read(), (Credentials{"", "s3cret"}));
    write("s3cret");
    EXPECT_EQ(read(), (Credentials{"", "s3cret"}));
}

TEST_F(CredentialsTest, TrimsOnlyOneNewline) {
    write("s3cret\n\n");
    EXPECT_EQ(failure(), path_ + ": holds more than one line (expected SECRET or USER:SECRET)");
    write(" s3cret \n");
    EXPECT_EQ(read(), (Credentials{"", " s3cret "}));
}

TEST_F(CredentialsTest, AclUserSplitsAtTheFirstColon) {
    write("chat:pass:word\n");
    EXPECT_EQ(read(), (Credentials{"chat", "pass:word"}));
    write("default:x", 0400);
    EXPECT_EQ(read(), (Credentials{"default", "x"}));
}

TEST_F(CredentialsTest, EmptyFileIsAnError) {
    write("");
    EXPECT_EQ(failure(), path_ + ": is empty");
    write("\n");
    EXPECT_EQ(failure(), path_ + ": is empty");
}

TEST_F(CredentialsTest, EmptyUserOrPasswordIsAnError) {
    write(":s3cret\n");
    EXPECT_EQ(failure(), path_ + ": empty user name before the ':' (expected USER:SECRET)");
    write("chat:\n");
    EXPECT_EQ(failure(), path_ + ": empty password after the ':' (expected USER:SECRET)");
}

TEST_F(CredentialsTest, MoreThanOneLineIsAnError) {
    write("chat:s3cret\nother\n");
    EXPECT_EQ(failure(), path_ + ": holds more than one line (expected SECRET or USER:SECRET)");
}

TEST_F(CredentialsTest, RefusesAFileReadableByOthers) {
    write("s3cret\n", 0644);
    std::string error = failure();
    EXPECT_EQ(error, path_ +
                         ": is readable by others (mode 0644): the secret must not be; chmod "
                         "o-r it");
    EXPECT_EQ(error.find("s3cret"), std::string::npos);
    write("s3cret\n", 0604);
    EXPECT_EQ(failure(), path_ +
                             ": is readable by others (mode 0604): the secret must not be; "
                             "chmod o-r it");
    write("s3cret\n", 0640);  // the group may read it (e.g. a "redis-clients" group)
    EXPECT_EQ(read(), (Credentials{"", "s3cret"}));
}

TEST_F(CredentialsTest, MissingFileOrDirectory) {
    EXPECT_EQ(failure(), path_ + ": cannot open: No such file or directory");
    std::string error;
    EXPECT_FALSE(readCredentials(dir_, &error));
    EXPECT_EQ(error, dir_ + ": not a regular file");
}

TEST_F(CredentialsTest, RefusesAHugeFile) {
    write(std::string(64 * 1024 + 1, 'x'));
    EXPECT_EQ(failure(), path_ + ": larger than 64KiB: not a password file");
    write(std::string(64 * 1024, 'x'));
    EXPECT_EQ(read().password.size(), 64u * 1024);
}

TEST_F(CredentialsTest, ErrorIsOptional) {
    EXPECT_FALSE(readCredentials(path_));
}

}  // namespace
}  // namespace sockchat::redis
