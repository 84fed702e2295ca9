// SPDX-License-Identifier: GPL-3.0-or-later
// Paths and a process runner shared by the test suites.
#pragma once

#include <string>

namespace sprout::test {

inline std::string source_path(const std::string& relative) { return std::string(SPROUT_SOURCE_DIR) + "/" + relative; }
inline std::string binary_path(const std::string& relative) { return std::string(SPROUT_BINARY_DIR) + "/" + relative; }
// The programs under test.
inline std::string sprout_cmd() { return binary_path("cli/sprout"); }
inline std::string sprout_train_cmd() { return binary_path("backend/sprout-train"); }

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` through /bin/sh, capturing stdout and stderr separately.
CommandResult run_command(const std::string& command);

// A fresh empty directory under the build tree's Testing/tmp.
std::string make_temp_dir(const std::string& prefix);

}  // namespace sprout::test
