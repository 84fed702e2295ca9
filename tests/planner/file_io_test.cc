// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sprout/planner/base/input_error.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

TEST(AtomicFile, ReplacesTheTargetAndLeavesNoTemporaries) {
  const std::string dir = test::make_temp_dir("atomic");
  const std::string path = dir + "/sub/report.json";
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/sub")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, FailureLeavesTheOldFileIntact) {
  const std::string dir = test::make_temp_dir("atomic");
  const std::string path = dir + "/plan.yaml";
  write_file_atomically(path, "old");
  std::filesystem::create_directory(dir + "/plan.yaml.tmp." + std::to_string(::getpid()));  // blocks the temp file
  EXPECT_THROW(write_file_atomically(path, "new"), std::runtime_error);
  EXPECT_EQ(read_file(path), "old");
}

// The one whole-file reader: a missing file is bad input that names the file.
TEST(ReadFile, AMissingFileIsAnInputErrorNamingIt) {
  const std::string path = test::make_temp_dir("read") + "/no-such-plan.yaml";
  try {
    read_file(path);
    FAIL() << "no error for a missing file";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_NE(std::string(e.what()).find(path + ": cannot open file: No such file or directory"), std::string::npos)
        << e.what();
  }
}

TEST(ReadFile, ReturnsTheBytesAsTheyAre) {
  const std::string path = test::make_temp_dir("read") + "/bytes.bin";
  const std::string bytes("a\0b\r\n\xff", 6);
  write_file_atomically(path, bytes);
  EXPECT_EQ(read_file(path), bytes);
  write_file_atomically(path, "");
  EXPECT_EQ(read_file(path), "");
}

// Checkpoint files are written in place inside a temporary directory that is
// renamed afterwards: no temporary file of their own, the target truncated.
TEST(WriteFileSynced, WritesInPlaceAndNamesThePathOnFailure) {
  namespace fs = std::filesystem;
  const std::string dir = test::make_temp_dir("synced");
  write_file_synced(dir + "/state.json", "longer contents");
  write_file_synced(dir + "/state.json", "short");
  EXPECT_EQ(read_file(dir + "/state.json"), "short");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  try {
    write_file_synced(dir + "/missing-dir/state.json", "x");
    FAIL() << "no error for a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/missing-dir/state.json: cannot create"), std::string::npos)
        << e.what();
  }
}

// remove_tree (checkpoint rotation): the whole tree goes, a symbolic link
// inside it goes without what it points to, an absent path is no error.
TEST(RemoveTree, RemovesATreeButNotWhatItsLinksPointTo) {
  namespace fs = std::filesystem;
  const std::string dir = test::make_temp_dir("remove-tree");
  write_file_atomically(dir + "/tree/a/b/shard-0.bin", "x");
  write_file_atomically(dir + "/tree/a/DONE", "{}");
  write_file_atomically(dir + "/outside/keep.txt", "kept");
  fs::create_directory_symlink(dir + "/outside", dir + "/tree/a/link");
  remove_tree(dir + "/tree");
  EXPECT_FALSE(fs::exists(dir + "/tree"));
  EXPECT_EQ(read_file(dir + "/outside/keep.txt"), "kept");
  EXPECT_NO_THROW(remove_tree(dir + "/tree"));
  write_file_atomically(dir + "/single.txt", "x");  // a plain file too
  remove_tree(dir + "/single.txt");
  EXPECT_FALSE(fs::exists(dir + "/single.txt"));
}

}  // namespace
}  // namespace sprout::planner
