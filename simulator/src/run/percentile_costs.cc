// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/percentile_costs.h"

#include <stdexcept>

#include "sprout/planner/base/units.h"
#include "sprout/simulator/run/simulation.h"

namespace sprout::simulator {
namespace {

double at(const Percentiles& p, double percentile) { return percentile == 0.9 ? p.p90 : p.p50; }

}  // namespace

bool is_reported_percentile(double percentile) { return percentile == 0.5 || percentile == 0.9; }

planner::Costs costs_at(const MetricBands& bands, double percentile) {
  if (!is_reported_percentile(percentile)) throw std::invalid_argument("percentile must be 0.5 or 0.9");
  planner::Costs c;
  c.seconds = at(bands.days, percentile) * planner::kSecondsPerDay;
  c.gpu_hours = at(bands.gpu_hours, percentile);
  c.cost_usd = at(bands.cost_usd, percentile);
  c.energy_kwh = at(bands.energy_kwh, percentile);
  c.co2e_kg = at(bands.co2e_kg, percentile);
  c.embodied_co2e_kg = at(bands.embodied_co2e_kg, percentile);
  return c;
}

PercentileRunCosts run_costs_at(const planner::Plan& plan, double percentile, long long trials, std::uint64_t seed) {
  if (!is_reported_percentile(percentile)) throw std::invalid_argument("percentile must be 0.5 or 0.9");
  SimulationOptions options;
  options.trials = trials;
  options.seed = seed;
  const Distribution d = simulate_plan(plan, options).distribution;
  PercentileRunCosts out;
  out.percentile = percentile;
  out.trials = d.trials;
  out.seed = seed;
  for (const StageDistribution& s : d.stages) out.stages.emplace_back(s.name, costs_at(s.metrics, percentile));
  out.total = costs_at(d.total, percentile);
  return out;
}

planner::SearchRequest::RiskScreen risk_screen(double percentile) {
  if (!is_reported_percentile(percentile)) {
    throw std::invalid_argument("the search screens at P50 or P90 (0.5 or 0.9), not " + std::to_string(percentile));
  }
  return {percentile,
          [percentile](const planner::Plan& plan) { return run_costs_at(plan, percentile, kRiskScreenTrials).total; }};
}

}  // namespace sprout::simulator
