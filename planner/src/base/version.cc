// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/version.h"

#include "sprout_version_info.h"  // generated: cmake/SproutVersion.cmake

namespace sprout::planner {

std::string_view sprout_version() { return SPROUT_VERSION_STRING; }

std::string_view sprout_commit() { return SPROUT_GIT_COMMIT; }

std::string version_line(std::string_view program) {
  return std::string(program) + " " + std::string(sprout_version()) + " (commit " + std::string(sprout_commit()) + ")";
}

}  // namespace sprout::planner
