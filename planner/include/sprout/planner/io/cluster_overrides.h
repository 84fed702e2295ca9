// SPDX-License-Identifier: GPL-3.0-or-later
// A cluster as a command line or the GUI names it: profiles by name or path,
// unresolved, every part optional. Given to load_plan, the parts set beat the
// plan file's; find_cluster resolves a complete one (the schedule search's).
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {

// Every member has a default initializer, so that designated initializers
// ({.hardware = "a800", .gpus = 192}) may leave any of them out.
struct ClusterOverrides {
  std::optional<std::string> hardware = std::nullopt;  // profile name or path
  std::optional<int> gpus = std::nullopt;
  std::optional<std::string> region = std::nullopt;  // profile name or path
  std::optional<double> price_usd_per_gpu_hour = std::nullopt;
  std::optional<PowerModel> power_model = std::nullopt;
};

// The named profiles, looked up as find_hardware_profile / find_region_profile
// do; the price defaults to the hardware profile's, the power model to TDP.
// Throws InputError for an unknown profile or a missing hardware, GPU count or
// region (reported at the command-line flag that sets it).
Cluster find_cluster(const ClusterOverrides& named);

}  // namespace sprout::planner
