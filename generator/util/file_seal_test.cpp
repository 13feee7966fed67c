#include "util/file_seal.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>

#include "util/fs.h"

namespace xb {
namespace {

class FileSealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("xb-seal-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    file = dir / "blob";
    write_file_atomic(file, "verified bytes");
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir, file;
};

TEST_F(FileSealTest, MatchesTheUntouchedFile) {
  nlohmann::json sealed = *seal_of(file);
  EXPECT_TRUE(seal_matches(file, sealed));
  // A hard link (how the layer cache hands entries out) changes ctime only.
  fs::create_hard_link(file, dir / "link");
  EXPECT_TRUE(seal_matches(file, sealed));
}

TEST_F(FileSealTest, ReplacedRewrittenOrMissingFilesDoNotMatch) {
  nlohmann::json sealed = *seal_of(file);
  write_file_atomic(file, "verified bytes");  // same bytes, new inode
  EXPECT_FALSE(seal_matches(file, sealed));

  sealed = *seal_of(file);
  {
    std::ofstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(3);
    out << 'X';  // same size, same inode: the mtime moves
  }
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  // The write may land in the same clock tick; set a distinct mtime as any
  // later edit would have.
  timespec times[2] = {st.st_atim, {st.st_mtim.tv_sec + 1, st.st_mtim.tv_nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  EXPECT_FALSE(seal_matches(file, sealed));

  fs::remove(file);
  EXPECT_FALSE(seal_matches(file, sealed));
  EXPECT_FALSE(seal_of(dir).has_value());  // not a regular file
}

TEST_F(FileSealTest, DamagedSealsDoNotMatch) {
  EXPECT_FALSE(seal_matches(file, nlohmann::json::object()));
  EXPECT_FALSE(seal_matches(file, "not a seal"));
  nlohmann::json round = nlohmann::json(*seal_of(file)).dump();
  EXPECT_TRUE(seal_matches(file, nlohmann::json::parse(round.get<std::string>())));
}

}  // namespace
}  // namespace xb
