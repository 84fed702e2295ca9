// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/hardware_profile.h"

#include <algorithm>
#include <cmath>
#include <optional>

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

// The efficiency of an m x k by k x n batched product from the timed shapes
// of its kind (the same dimensions equal: attention's QK^T has m = n, its
// x V m = k). The product's shape is first clamped into the timed shapes'
// range, dimension by dimension (beyond the largest timed sequence, a
// product is taken at it, as the FLOPs table clamps), then the timed shapes
// are weighted by inverse distance to the fourth power in octaves of m, n
// and k: exact at a timed shape, the nearest ones' between them (on a grid
// an octave apart, a point halfway between two gets 93% of its weight from
// those two). None of its kind: nullopt.
std::optional<double> shape_efficiency(const std::vector<BatchedGemmShape>& shapes, double m, double n, double k) {
  std::vector<const BatchedGemmShape*> kind;
  for (const auto& s : shapes) {
    if ((s.m == s.n) == (m == n) && (s.m == s.k) == (m == k)) kind.push_back(&s);
  }
  if (kind.empty()) return std::nullopt;
  auto clamped = [&](double BatchedGemmShape::*dim, double value) {
    const auto [lo, hi] =
        std::minmax_element(kind.begin(), kind.end(), [&](auto* a, auto* b) { return a->*dim < b->*dim; });
    return std::clamp(value, (*lo)->*dim, (*hi)->*dim);
  };
  m = clamped(&BatchedGemmShape::m, m);
  n = clamped(&BatchedGemmShape::n, n);
  k = clamped(&BatchedGemmShape::k, k);
  double weights = 0, weighted = 0;
  for (const auto* s : kind) {
    const double distance2 =
        std::pow(std::log2(s->m / m), 2) + std::pow(std::log2(s->n / n), 2) + std::pow(std::log2(s->k / k), 2);
    if (distance2 < 1e-12) return s->efficiency;
    const double weight = 1 / (distance2 * distance2);
    weights += weight;
    weighted += weight * s->efficiency;
  }
  return weighted / weights;
}

}  // namespace

DtypeThroughput HardwareProfile::throughput() const {
  return {peak_tflops,
          gemm_efficiency,
          batched_gemm_efficiency,
          batched_gemm_shapes,
          memory_efficiency,
          flash_attention_efficiency,
          trainer_ns_per_element,
          trainer_first_step_s};
}

void HardwareProfile::set_throughput(const DtypeThroughput& t) {
  peak_tflops = t.peak_tflops;
  gemm_efficiency = t.gemm_efficiency;
  batched_gemm_efficiency = t.batched_gemm_efficiency;
  batched_gemm_shapes = t.batched_gemm_shapes;
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

double HardwareProfile::batched_gemm_efficiency_at(double m, double n, double k, double batch) const {
  if (auto by_shape = shape_efficiency(batched_gemm_shapes, m, n, k)) return *by_shape;
  const double flops_each = 2 * m * n * k;
  if (batched_gemm_efficiency.empty()) return gemm_efficiency_at(flops_each * batch);
  return interpolate(batched_gemm_efficiency, flops_each);
}

}  // namespace sprout::planner
