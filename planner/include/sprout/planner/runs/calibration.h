// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout compare --calibrate`: fit the hardware profile to what a run did, so
// that re-planning with the fitted profile reproduces the run. Two numbers
// carry the fit: a factor on the achieved throughputs (the GEMM, batched-GEMM
// and attention efficiencies, and the memory-bound kernels' up to the copy
// bandwidth: how fast the step's work really runs) and the per-kernel launch
// overhead (what small models pay per operation); with a measured energy
// source, the typical power fraction too. One factor for all throughputs,
// not one each: a run's few stage times cannot tell them apart, and a
// profile whose memory-bound or attention terms were measured at the wrong
// size (sprout profile's CPU-sized probes on an H200) is otherwise beyond
// any GEMM factor.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/run_record.h"

namespace sprout::planner {

struct CalibrationResult {
  HardwareProfile profile;        // the fitted profile
  double efficiency_factor = 1;   // applied to the GEMM, attention and memory-bound efficiencies
  double kernel_overhead_us = 0;  // fitted
  // The factor ended at its range (1e-3 or 1e3) without reproducing the
  // run: what it does not scale (bandwidths, network) is off by more.
  bool factor_at_bound = false;
  bool power_fitted = false;  // only from a measured energy source (rapl, nvml)
  double typical_power_fraction = 0;
  std::vector<double> wall_error_before;  // per reached stage, (predicted - actual) / actual
  std::vector<double> wall_error_after;
  double total_error_before = 0;
  double total_error_after = 0;
  std::string note;  // how it was fitted, for the profile's `measured` field
};

// Throws InputError when the run has no complete stage with times.
CalibrationResult calibrate_profile(const Plan& plan, const RunRecord& run);

}  // namespace sprout::planner
