// SPDX-License-Identifier: GPL-3.0-or-later
#include "test_paths.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "sprout/planner/base/file_io.h"

namespace sprout::test {

std::string make_temp_dir(const std::string& prefix) {
  namespace fs = std::filesystem;
  fs::path base = fs::path(SPROUT_BINARY_DIR) / "Testing" / "tmp";
  fs::create_directories(base);
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = base / (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000));
    if (fs::create_directory(p)) return p.string();
  }
  throw std::runtime_error("cannot create temp dir");
}

CommandResult run_command(const std::string& command) {
  const std::string dir = make_temp_dir("cmd");
  const std::string out_file = dir + "/stdout";
  const std::string err_file = dir + "/stderr";
  const std::string full = "(" + command + ") >" + out_file + " 2>" + err_file;
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = planner::read_file(out_file);
  r.err = planner::read_file(err_file);
  planner::remove_tree(dir);
  return r;
}

}  // namespace sprout::test
