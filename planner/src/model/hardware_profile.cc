// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/hardware_profile.h"

#include <cmath>

namespace sprout::planner {

namespace {

// Efficiency rises roughly linearly in log(size) between measured points.
double interpolate(const std::vector<EfficiencyPoint>& table, double flops) {
  if (table.empty()) return 1.0;
  if (flops <= table.front().flops) return table.front().efficiency;
  if (flops >= table.back().flops) return table.back().efficiency;
  const double lx = std::log(flops);
  for (size_t i = 1; i < table.size(); ++i) {
    const auto& hi = table[i];
    if (flops <= hi.flops) {
      const auto& lo = table[i - 1];
      const double l0 = std::log(lo.flops), l1 = std::log(hi.flops);
      return lo.efficiency + (hi.efficiency - lo.efficiency) * (lx - l0) / (l1 - l0);
    }
  }
  return table.back().efficiency;
}

}  // namespace

double HardwareProfile::gemm_efficiency_at(double flops) const { return interpolate(gemm_efficiency, flops); }

double HardwareProfile::batched_gemm_efficiency_at(double flops_each, double batch) const {
  if (batched_gemm_efficiency.empty()) return gemm_efficiency_at(flops_each * batch);
  return interpolate(batched_gemm_efficiency, flops_each);
}

}  // namespace sprout::planner
