// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>

#include "sprout/planner/atomic_file.h"
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

}  // namespace
}  // namespace sprout::planner
