// SPDX-License-Identifier: GPL-3.0-or-later
// Several measured profiles of one machine as one (`sprout profile --merge`):
// every measured number the median over them. On a machine whose speed
// drifts from one minute to the next (a shared VM), one profile is one sample
// of that drift: on this project's 2-vCPU VM, single quick profiles missed
// the CPU plan matrix's worst stage by 10-60%, the median of three taken
// minutes apart by 8-50% (docs/compare.md "Eighth run").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sprout/planner/model/hardware_profile.h"

namespace sprout::planner {

struct MergedProfile {
  HardwareProfile profile;
  // key -> `# source:` text, as hardware_profile_to_yaml takes them: the
  // first profile's, and for a number that differed between the profiles,
  // that it is their median.
  std::map<std::string, std::string> sources;
};

// The median of the profiles at `paths` (two or more), named `name`. Each is
// read as load_hardware_profile reads it; they must have the same keys, the
// same table rows and the same sizes in them (profiles taken with the same
// `sprout profile` options): otherwise InputError at the first difference,
// naming the file, line and field. Text (description, dtype) is the first's.
MergedProfile median_of_profiles(const std::vector<std::string>& paths, const std::string& name);

}  // namespace sprout::planner
