// SPDX-License-Identifier: GPL-3.0-or-later
// Where the electricity comes from: profiles/regions/*.yaml.
#pragma once

#include <string>

#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

struct RegionProfile {
  std::string name;
  std::string description;
  std::string source_file;
  double grid_g_co2e_per_kwh = 0;  // annual mean
  double pue = 1.0;                // power usage effectiveness of the data centre
  std::string carbon_trace_csv;    // optional hourly trace (Electricity Maps columns)
  SourceLocation carbon_trace_at;  // where the profile names it: errors in the trace are reported there
};

}  // namespace sprout::planner
