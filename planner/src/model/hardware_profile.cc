// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/hardware_profile.h"

#include <cmath>

namespace sprout::planner {

namespace {

// Efficiency (or an operation's cost per element) changes roughly linearly
// in log(size) between measured points: `x` and `y` pick a row's size and
// value.
template <typename Point>
double interpolate(const std::vector<Point>& table, double size, double Point::*x, double Point::*y) {
  if (table.empty()) return 1.0;
  if (size <= table.front().*x) return table.front().*y;
  if (size >= table.back().*x) return table.back().*y;
  const double lx = std::log(size);
  for (size_t i = 1; i < table.size(); ++i) {
    const auto& hi = table[i];
    if (size <= hi.*x) {
      const auto& lo = table[i - 1];
      const double l0 = std::log(lo.*x), l1 = std::log(hi.*x);
      return lo.*y + (hi.*y - lo.*y) * (lx - l0) / (l1 - l0);
    }
  }
  return table.back().*y;
}

double interpolate(const std::vector<EfficiencyPoint>& table, double flops) {
  return interpolate(table, flops, &EfficiencyPoint::flops, &EfficiencyPoint::efficiency);
}

}  // namespace

DtypeThroughput HardwareProfile::throughput() const {
  return {peak_tflops,
          gemm_efficiency,
          batched_gemm_efficiency,
          memory_efficiency,
          flash_attention_efficiency,
          trainer_ns_per_element,
          trainer_first_step_s};
}

void HardwareProfile::set_throughput(const DtypeThroughput& t) {
  peak_tflops = t.peak_tflops;
  gemm_efficiency = t.gemm_efficiency;
  batched_gemm_efficiency = t.batched_gemm_efficiency;
  memory_efficiency = t.memory_efficiency;
  flash_attention_efficiency = t.flash_attention_efficiency;
  trainer_ns_per_element = t.trainer_ns_per_element;
  trainer_first_step_s = t.trainer_first_step_s;
}

HardwareProfile HardwareProfile::for_dtype(const std::string& wanted) const {
  auto it = throughput_by_dtype.find(wanted);
  if (wanted == dtype || it == throughput_by_dtype.end()) return *this;
  HardwareProfile out = *this;
  out.throughput_by_dtype.erase(wanted);
  if (!dtype.empty()) out.throughput_by_dtype[dtype] = throughput();
  out.set_throughput(it->second);
  out.dtype = wanted;
  return out;
}

double HardwareProfile::trainer_ns_at(const std::string& op, double elements) const {
  return interpolate(trainer_ns_per_element.at(op), elements, &SizedCost::elements, &SizedCost::ns);
}

double HardwareProfile::gemm_efficiency_at(double flops) const { return interpolate(gemm_efficiency, flops); }

double HardwareProfile::batched_gemm_efficiency_at(double flops_each, double batch) const {
  if (batched_gemm_efficiency.empty()) return gemm_efficiency_at(flops_each * batch);
  return interpolate(batched_gemm_efficiency, flops_each);
}

}  // namespace sprout::planner
