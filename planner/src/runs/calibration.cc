// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/runs/run_comparison.h"

namespace sprout::planner {
namespace {

// The profile with efficiencies scaled by `factor`. Efficiencies stay <= 1:
// when the scaled table would pass 1, the peak rises instead (same speed).
HardwareProfile scaled(const HardwareProfile& base, double factor, double kernel_overhead_us) {
  HardwareProfile hw = base;
  double max_eff = base.flash_attention_efficiency;
  for (const auto& p : base.gemm_efficiency) max_eff = std::max(max_eff, p.efficiency);
  for (const auto& p : base.batched_gemm_efficiency) max_eff = std::max(max_eff, p.efficiency);
  for (const auto& s : base.batched_gemm_shapes) max_eff = std::max(max_eff, s.efficiency);
  const double peak_factor = std::max(1.0, factor * max_eff);
  hw.peak_tflops = base.peak_tflops * peak_factor;
  for (auto& p : hw.gemm_efficiency) p.efficiency = p.efficiency * factor / peak_factor;
  for (auto& p : hw.batched_gemm_efficiency) p.efficiency = p.efficiency * factor / peak_factor;
  for (auto& s : hw.batched_gemm_shapes) s.efficiency = s.efficiency * factor / peak_factor;
  hw.flash_attention_efficiency = base.flash_attention_efficiency * factor / peak_factor;
  // Memory-bound kernels (LayerNorm, GELU, softmax, residuals) speed up with
  // the arithmetic, up to the copy bandwidth.
  hw.memory_efficiency = std::min(1.0, base.memory_efficiency * factor);
  // sprout-train's measured operations, likewise (their time per element
  // falls as the factor rises).
  for (auto& [op, costs] : hw.trainer_ns_per_element) {
    for (auto& c : costs) c.ns /= factor;
  }
  hw.kernel_overhead_us = kernel_overhead_us;
  return hw;
}

// The throughput factor's range: a profile 1000x off is not a profile of
// this machine (or of this trainer) any more.
constexpr double kMinFactor = 1e-3, kMaxFactor = 1e3;

struct Fit {
  double factor = 1, overhead_us = 0, cost = std::numeric_limits<double>::infinity();
};

// Stage seconds predicted for the part of each stage the run trained.
std::vector<double> predicted_seconds(const Plan& plan, const HardwareProfile& hw,
                                      const std::vector<StageTiming>& timing) {
  Plan p = plan;
  p.cluster.hardware = hw;
  EstimateOptions opts;
  opts.with_scratch_baseline = false;
  opts.alternatives = 0;
  const PlanEstimate e = estimate_plan(p, opts);
  std::vector<double> out;
  for (size_t k = 0; k < timing.size(); ++k) {
    const StageEstimate& se = e.stages[k];
    const double planned = trained_tokens(se);
    const double fraction = planned > 0 ? std::min(1.0, timing[k].tokens / planned) : 0;
    out.push_back(se.growth_transition_s + fraction * (se.costs.seconds - se.growth_transition_s));
  }
  return out;
}

double fit_cost(const std::vector<double>& predicted, const std::vector<StageTiming>& timing) {
  double cost = 0;
  for (size_t k = 0; k < timing.size(); ++k) {
    if (timing[k].seconds <= 0) continue;
    const double e = std::log(predicted[k] / timing[k].seconds);
    cost += e * e;
  }
  return cost;
}

std::vector<double> errors(const std::vector<double>& predicted, const std::vector<StageTiming>& timing) {
  std::vector<double> out;
  for (size_t k = 0; k < timing.size(); ++k) {
    if (timing[k].seconds > 0) out.push_back(predicted[k] / timing[k].seconds - 1);
  }
  return out;
}

double total_error(const std::vector<double>& predicted, const std::vector<StageTiming>& timing) {
  double p = 0, a = 0;
  for (size_t k = 0; k < timing.size(); ++k) {
    if (timing[k].seconds <= 0) continue;
    p += predicted[k];
    a += timing[k].seconds;
  }
  return a > 0 ? p / a - 1 : 0;
}

}  // namespace

CalibrationResult calibrate_profile(const Plan& plan, const RunRecord& run) {
  std::vector<StageTiming> timing = stage_timings(run);
  // Stages not reached yet carry no information.
  while (!timing.empty() && timing.back().seconds <= 0) timing.pop_back();
  if (timing.empty()) {
    throw InputError({run.dir + "/telemetry.jsonl", 0, 0}, "telemetry", "no stage with timed records to fit");
  }
  Plan p = plan;
  p.stages.resize(timing.size());
  const HardwareProfile& base = plan.cluster.hardware;

  // For each kernel overhead, the GEMM-efficiency factor that reproduces
  // the run's total time exactly (the total falls monotonically with the
  // factor: bisection in log space); of those, the overhead that best fits
  // the split between stages (small stages weigh the overhead more). A grid
  // over the overhead, then two finer passes around the best: the cost is
  // smooth but not convex.
  auto factor_matching_total = [&](double overhead) {
    double lo = std::log(kMinFactor), hi = std::log(kMaxFactor);
    for (int i = 0; i < 60; ++i) {
      const double mid = (lo + hi) / 2;
      const double e = total_error(predicted_seconds(p, scaled(base, std::exp(mid), overhead), timing), timing);
      (e > 0 ? lo : hi) = mid;  // predicted too long: a larger factor
    }
    return std::exp((lo + hi) / 2);
  };
  Fit best;
  double o_lo = 0, o_hi = 2000;
  for (int pass = 0; pass < 3; ++pass) {
    constexpr int kSteps = 24;
    Fit pass_best = best;
    for (int j = 0; j <= kSteps; ++j) {
      const double overhead = o_lo + (o_hi - o_lo) * j / kSteps;
      const double factor = factor_matching_total(overhead);
      const double cost = fit_cost(predicted_seconds(p, scaled(base, factor, overhead), timing), timing);
      if (cost < pass_best.cost) pass_best = {factor, overhead, cost};
    }
    best = pass_best;
    const double o_span = (o_hi - o_lo) / 6;
    o_lo = std::max(0.0, best.overhead_us - o_span);
    o_hi = best.overhead_us + o_span;
  }

  CalibrationResult r;
  r.efficiency_factor = best.factor;
  r.kernel_overhead_us = best.overhead_us;
  r.profile = scaled(base, best.factor, best.overhead_us);
  const auto before = predicted_seconds(p, base, timing);
  const auto after = predicted_seconds(p, r.profile, timing);
  r.wall_error_before = errors(before, timing);
  r.wall_error_after = errors(after, timing);
  r.total_error_before = total_error(before, timing);
  r.total_error_after = total_error(after, timing);
  // At the end of its range the factor did not reproduce the total: terms it
  // does not scale (bandwidths, network, checkpoint writes) dominate.
  r.factor_at_bound = best.factor < kMinFactor * 1.01 || best.factor > kMaxFactor / 1.01;

  // Power: only a measured energy source says anything about it.
  const std::string source = run.records.back().energy_source;
  double joules = 0, seconds = 0;
  for (const auto& t : timing) {
    joules += t.energy_j;
    seconds += t.seconds;
  }
  const int ranks = run.records.back().rank_count;
  if ((source == "rapl" || source == "nvml") && seconds > 0 && joules > 0 && base.tdp_w > 0) {
    // The meter reads the device alone (the node's overhead is not in it).
    const double watts_per_device = joules / seconds / ranks;
    r.power_fitted = true;
    r.typical_power_fraction = std::clamp(watts_per_device / base.tdp_w, 0.01, 1.5);
    r.profile.typical_power_fraction = r.typical_power_fraction;
  }
  r.note = fmt::format(
      "calibrated from run {} ({} stages, {:.0f} s): throughput x{:.3f} (GEMMs, attention, memory-bound "
      "kernels), kernel overhead {:.1f} us{}; wall-time error {:+.1f}% -> {:+.1f}%",
      run.dir, timing.size(), seconds, best.factor, best.overhead_us,
      r.power_fitted ? fmt::format(", typical power {:.2f} of TDP from {}", r.typical_power_fraction, source) : "",
      100 * r.total_error_before, 100 * r.total_error_after);
  r.profile.measured = r.note;
  return r;
}

}  // namespace sprout::planner
