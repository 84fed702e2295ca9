// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/data_dirs.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sprout::planner {
namespace fs = std::filesystem;
namespace {

bool is_data_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "profiles" / "hardware", ec);
}

// The source tree a build tree was configured from: a directory above the
// executable that is one, or one named by a sprout-source-dir file there.
std::optional<fs::path> source_tree_above(const fs::path& start) {
  std::error_code ec;
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    if (is_data_dir(dir)) return dir;
    const fs::path marker = dir / "sprout-source-dir";
    if (fs::is_regular_file(marker, ec)) {
      std::ifstream in(marker);
      std::string named;
      std::getline(in, named);
      if (!named.empty() && is_data_dir(named)) return fs::path(named);
    }
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(':', start), list.size());
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::vector<std::string> data_dirs() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SPROUT_DATA_DIR"); env && *env) candidates.emplace_back(env);
  if (const std::string exe = executable_dir(); !exe.empty()) {
    candidates.push_back(fs::path(exe).parent_path() / "share" / "sprout");
    if (auto source = source_tree_above(exe)) candidates.push_back(*source);
  }
  // XDG Base Directory Specification: unset or empty means /usr/local/share/:/usr/share/.
  const char* xdg = std::getenv("XDG_DATA_DIRS");
  for (const auto& dir : split_paths(xdg && *xdg ? xdg : "/usr/local/share:/usr/share")) {
    candidates.push_back(fs::path(dir) / "sprout");
  }
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& c : candidates) {
    if (!fs::is_directory(c, ec)) continue;
    const std::string normal = c.lexically_normal().string();
    if (std::find(dirs.begin(), dirs.end(), normal) == dirs.end()) dirs.push_back(normal);
  }
  return dirs;
}

std::optional<std::string> find_data_file(const std::string& relative) {
  std::error_code ec;
  for (const auto& dir : data_dirs()) {
    const fs::path p = fs::path(dir) / relative;
    if (fs::exists(p, ec)) return p.string();
  }
  return std::nullopt;
}

}  // namespace sprout::planner
