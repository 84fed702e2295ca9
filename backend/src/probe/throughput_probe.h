// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s throughput measurements, per precision
// (planner::DtypeThroughput): the training GEMM sweep, attention's batched
// GEMMs, the memory-bound kernels, unfused attention and sprout-train's own
// operations. Several precisions are measured side by side, phase by phase
// and shape by shape, so that a slow stretch of a shared machine falls on
// all of them alike.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sprout/backend/hardware_probe.h"
#include "sprout/planner/model/hardware_profile.h"

namespace sprout::backend {

// What every precision's throughput probes share.
struct ThroughputContext {
  bool quick = false;
  double budget_s = 0;  // per timed shape or operation
  int threads = 1;
  double copy_gb_per_s = 0;   // the memory-bound kernels' reference
  double datasheet_peak = 0;  // a GPU's peak (a CPU's is measured)
  std::string base_source;
  std::function<void(const std::string&)> say;
};

// One precision's measured throughput and how each value was obtained.
struct MeasuredThroughput {
  std::string dtype;
  planner::DtypeThroughput throughput;
  std::map<std::string, std::string> sources;  // DtypeThroughput key -> how
  std::vector<GemmSample> gemms;               // the GEMM sweep's samples
};

// Measures each of `dtypes` (in that order in the result).
std::vector<MeasuredThroughput> probe_throughputs(const std::vector<std::string>& dtypes, const ThroughputContext& c);

}  // namespace sprout::backend
