// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/hardware_profile.h"

#include <cmath>

namespace sprout::planner {

double HardwareProfile::gemm_efficiency_at(double flops) const {
  if (gemm_efficiency.empty()) return 1.0;
  if (flops <= gemm_efficiency.front().flops) return gemm_efficiency.front().efficiency;
  if (flops >= gemm_efficiency.back().flops) return gemm_efficiency.back().efficiency;
  // Efficiency rises roughly linearly in log(size) between measured points.
  const double lx = std::log(flops);
  for (size_t i = 1; i < gemm_efficiency.size(); ++i) {
    const auto& hi = gemm_efficiency[i];
    if (flops <= hi.flops) {
      const auto& lo = gemm_efficiency[i - 1];
      const double l0 = std::log(lo.flops), l1 = std::log(hi.flops);
      return lo.efficiency + (hi.efficiency - lo.efficiency) * (lx - l0) / (l1 - l0);
    }
  }
  return gemm_efficiency.back().efficiency;
}

}  // namespace sprout::planner
