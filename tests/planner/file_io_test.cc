// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>

#include "sprout/planner/base/file_io.h"
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
