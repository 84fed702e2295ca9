// SPDX-License-Identifier: GPL-3.0-or-later
// Loads `sprout profile`'s LibTorch half (sprout/backend/profile_probe_module.h)
// when the command measures, so no other command loads LibTorch.
#pragma once

#include "sprout/backend/profile_probe_module.h"

namespace sprout::cli {

// The module, loaded once (RTLD_LOCAL: its copy of the planner stays its
// own). Throws std::runtime_error naming the places tried when it is not
// found, and when it is of another build than this program.
const backend::ProfileProbeModule& profile_probe_module();

}  // namespace sprout::cli
