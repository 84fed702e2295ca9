// SPDX-License-Identifier: GPL-3.0-or-later
// sprout's version (project() in CMakeLists.txt, the one source) and the
// commit the build was configured at: `--version` of every program, and the
// provenance of a run (summary.json, the first telemetry record).
#pragma once

#include <string>
#include <string_view>

namespace sprout::planner {

std::string_view sprout_version();  // "0.2.0"
std::string_view sprout_commit();   // `git describe --always --dirty`, "unknown" without git

// "PROGRAM 0.2.0 (commit abc1234)": what `--version` prints.
std::string version_line(std::string_view program);

}  // namespace sprout::planner
