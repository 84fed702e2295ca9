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

DtypeThroughput HardwareProfile::throughput() const {
  return {
      peak_tflops,           gemm_efficiency, batched_gemm_efficiency, memory_efficiency, flash_attention_efficiency,
      trainer_ns_per_element};
}

void HardwareProfile::set_throughput(const DtypeThroughput& t) {
  peak_tflops = t.peak_tflops;
  gemm_efficiency = t.gemm_efficiency;
  batched_gemm_efficiency = t.batched_gemm_efficiency;
  memory_efficiency = t.memory_efficiency;
  flash_attention_efficiency = t.flash_attention_efficiency;
  trainer_ns_per_element = t.trainer_ns_per_element;
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
  std::vector<EfficiencyPoint> table;
  for (const SizedCost& c : trainer_ns_per_element.at(op)) table.push_back({c.elements, c.ns});
  return interpolate(table, elements);
}

double HardwareProfile::gemm_efficiency_at(double flops) const { return interpolate(gemm_efficiency, flops); }

double HardwareProfile::batched_gemm_efficiency_at(double flops_each, double batch) const {
  if (batched_gemm_efficiency.empty()) return gemm_efficiency_at(flops_each * batch);
  return interpolate(batched_gemm_efficiency, flops_each);
}

}  // namespace sprout::planner
