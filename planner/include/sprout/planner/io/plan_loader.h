// SPDX-License-Identifier: GPL-3.0-or-later
// Parsing and validation of plan and profile files, once, at the edge.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/io/cluster_overrides.h"
#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/plan/region_profile.h"

namespace sprout::planner {

// Where profile names are looked up, first match wins:
//   1. an explicit path (contains '/' or ends in .yaml)
//   2. $SPROUT_PROFILES_DIR
//   3. `profiles/` in or next to the plan's directory (plans/../profiles), then ./profiles
//   4. profiles/ of every data directory (base/data_dirs.h: $SPROUT_DATA_DIR, the
//      installed share/sprout, the build's source tree, $XDG_DATA_DIRS)
std::vector<std::string> profile_search_dirs(const std::string& plan_file);

// Throws InputError (file:line:col: field: reason) for anything wrong. The
// overrides (command line, GUI) beat the plan file's cluster.
Plan load_plan(const std::string& path, const ClusterOverrides& overrides = {});
Plan load_plan_from_string(const std::string& yaml, const std::string& name, const ClusterOverrides& overrides = {});

// profiles/prices/*.yaml: dated public list prices per hardware profile name.
struct PriceList {
  std::string name;
  std::string date;
  std::string source;
  std::string source_file;
  std::map<std::string, double> usd_per_gpu_hour;  // by hardware profile name
};
PriceList load_price_list(const std::string& path);

HardwareProfile load_hardware_profile(const std::string& path);
// `name` stands for the file in errors.
HardwareProfile load_hardware_profile_from_string(const std::string& yaml, const std::string& name);
RegionProfile load_region_profile(const std::string& path);
// Resolve a name ("a800") or a path against the search dirs.
std::string resolve_profile(const std::string& name_or_path, const std::string& kind,
                            const std::vector<std::string>& search_dirs, const SourceLocation& referenced_at,
                            const std::string& field);
HardwareProfile find_hardware_profile(const std::string& name_or_path, const std::string& plan_file = "");
RegionProfile find_region_profile(const std::string& name_or_path, const std::string& plan_file = "");
// Names of the shipped profiles of a kind ("hardware", "regions", "prices").
std::vector<std::string> list_profiles(const std::string& kind, const std::string& plan_file = "");

// A hardware profile as YAML in the shipped format, each number followed by
// `# source: ...` from `sources` (key -> text; a key without one gets
// `default_source`). Reloads with load_hardware_profile to the same values.
std::string hardware_profile_to_yaml(const HardwareProfile& hw, const std::map<std::string, std::string>& sources,
                                     const std::string& default_source);

// Writes a plan back as YAML (used by search --write-plans, the GUI and
// export). Round-trips through load_plan with the same numbers.
std::string plan_to_yaml(const Plan& plan);

}  // namespace sprout::planner
