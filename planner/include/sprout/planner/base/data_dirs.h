// SPDX-License-Identifier: GPL-3.0-or-later
// Where sprout's data (profiles/, plans/) is found at run time, for every
// program: nothing is compiled in, so an installed or relocated copy finds its
// own data and a build tree finds its source tree's (docs/formats.md "Where
// profiles and plans are found").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sprout::planner {

// Data directories (each holding profiles/ and plans/), in search order:
//   1. $SPROUT_DATA_DIR, when set;
//   2. <executable's dir>/../share/sprout: the installed layout (GNUInstallDirs);
//   3. the source tree of a build tree: walking up from the executable's dir,
//      the first directory holding profiles/hardware, or a file
//      sprout-source-dir (written by CMake into the build dir) naming one;
//   4. every $XDG_DATA_DIRS entry + /sprout (default /usr/local/share:/usr/share).
// Only directories that exist are listed.
std::vector<std::string> data_dirs();

// The first data directory holding `relative` (e.g. "plans/validation/published.yaml"),
// as a full path; nothing when none does.
std::optional<std::string> find_data_file(const std::string& relative);

// The directory of the running program (/proc/self/exe), "" when unknown.
std::string executable_dir();

}  // namespace sprout::planner
