// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/monte_carlo.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "carbon/calendar_index.h"
#include "run/run_walker.h"
#include "sprout/planner/base/units.h"
#include "sprout/simulator/run/failure_model.h"
#include "sprout/simulator/run/run_timeline.h"

namespace sprout::simulator {

double Overheads::total_s() const {
  return compute_s + bubble_s + communication_s + evaluation_s + checkpoint_s + lost_work_s + restart_s + growth_s +
         relaunch_s + paused_s;
}

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const double x = q * static_cast<double>(v.size() - 1);
    const size_t i = static_cast<size_t>(std::floor(x));
    const size_t j = std::min(i + 1, v.size() - 1);
    return v[i] + (x - static_cast<double>(i)) * (v[j] - v[i]);
  };
  p.p10 = at(0.1);
  p.p50 = at(0.5);
  p.p90 = at(0.9);
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return p;
}

planner::Costs billed_costs(const RunModel& m, double billed_s, double intensity_integral) {
  planner::Costs c = planner::costs_for(billed_s, m.cluster);
  if (m.hot_spare_gpus > 0) {
    c += planner::costs_for(billed_s, hot_spare_cluster(m));
    c.seconds = billed_s;
  }
  c.co2e_kg = billed_s > 0 ? c.energy_kwh * (intensity_integral / billed_s) / 1000.0 : 0;
  return c;
}

std::vector<RunExpectation> expected_stages(const RunModel& m) {
  std::vector<RunExpectation> out;
  const double lambda = m.failure_rate_per_s;
  for (const StageRunModel& s : m.stages) {
    RunExpectation e;
    auto add = [&](double at_risk_s, double count) {
      const SegmentExpectation seg = expected_segment(at_risk_s, lambda, s.restart_s);
      e.time_s += count * seg.time_s;
      e.failures += count * seg.failures;
      e.lost_work_s += count * seg.lost_work_s;
      e.restart_s += count * seg.restart_s;
    };
    add(s.growth_transition_s, 1);
    const double work = s.work_s();
    const double interval = s.checkpoint_interval_s;
    if (!(interval > 0)) {
      // Continuous checkpointing: failures cost only their restarts.
      e.failures += lambda * work;
      e.restart_s += lambda * work * s.restart_s;
      e.time_s += work + lambda * work * s.restart_s;
      add(s.end_checkpoint_s, 1);
    } else {
      const double full = std::isfinite(interval) && interval < work ? std::ceil(work / interval) - 1 : 0;
      if (full > 0) add(interval + s.checkpoint_write_s, full);
      add((full > 0 ? work - full * interval : work) + s.end_checkpoint_s, 1);
      e.checkpoint_s = full * s.checkpoint_write_s + s.end_checkpoint_s;
    }
    out.push_back(e);
  }
  return out;
}

RunExpectation expected_run(const RunModel& m) {
  RunExpectation total;
  for (const RunExpectation& e : expected_stages(m)) {
    total.time_s += e.time_s;
    total.failures += e.failures;
    total.lost_work_s += e.lost_work_s;
    total.restart_s += e.restart_s;
    total.checkpoint_s += e.checkpoint_s;
  }
  return total;
}

CheckpointCost checkpoint_cost(const RunModel& m) {
  RunModel optimal = m;
  for (StageRunModel& s : optimal.stages) s.checkpoint_interval_s = s.optimal_checkpoint_interval_s;
  CheckpointCost c;
  c.chosen_expected_s = expected_run(m).time_s;
  c.optimal_expected_s = expected_run(optimal).time_s;
  c.extra_s = c.chosen_expected_s - c.optimal_expected_s;
  c.extra_usd = billed_costs(m, std::abs(c.extra_s), 0).cost_usd * (c.extra_s < 0 ? -1 : 1);
  return c;
}

namespace {

// Per-trial samples of one stage (or the total).
struct Samples {
  std::vector<double> days, gpu_hours, cost_usd, energy_kwh, co2e_kg, embodied;
  void reserve(size_t n) {
    for (auto* v : {&days, &gpu_hours, &cost_usd, &energy_kwh, &co2e_kg, &embodied}) v->reserve(n);
  }
  void push(double wall_s, const planner::Costs& c) {
    days.push_back(wall_s / planner::kSecondsPerDay);
    gpu_hours.push_back(c.gpu_hours);
    cost_usd.push_back(c.cost_usd);
    energy_kwh.push_back(c.energy_kwh);
    co2e_kg.push_back(c.co2e_kg);
    embodied.push_back(c.embodied_co2e_kg);
  }
  MetricBands bands() const {
    return {percentiles(days),       percentiles(gpu_hours), percentiles(cost_usd),
            percentiles(energy_kwh), percentiles(co2e_kg),   percentiles(embodied)};
  }
};

// The failure-independent part of a stage's time.
Overheads fixed_overheads(const StageRunModel& s) {
  Overheads o;
  o.compute_s = s.train_s * s.compute_fraction;
  o.bubble_s = s.train_s * s.bubble_fraction;
  o.communication_s = s.train_s * s.communication_fraction;
  o.evaluation_s = s.evaluation_s;
  o.growth_s = s.growth_transition_s;
  return o;
}

void add_random(Overheads& o, const internal::StageOutcome& r) {
  o.checkpoint_s += r.checkpoint_s;
  o.lost_work_s += r.lost_s;
  o.restart_s += r.restart_s;
  o.relaunch_s += r.relaunch_s;
  o.paused_s += r.paused_s;
}

Overheads mean_overheads(const StageRunModel& s, Overheads random_sum, double trials) {
  Overheads o = fixed_overheads(s);
  if (trials > 0) {
    o.checkpoint_s = random_sum.checkpoint_s / trials;
    o.lost_work_s = random_sum.lost_work_s / trials;
    o.restart_s = random_sum.restart_s / trials;
    o.relaunch_s = random_sum.relaunch_s / trials;
    o.paused_s = random_sum.paused_s / trials;
  }
  return o;
}

Overheads& operator+=(Overheads& a, const Overheads& b) {
  a.compute_s += b.compute_s;
  a.bubble_s += b.bubble_s;
  a.communication_s += b.communication_s;
  a.evaluation_s += b.evaluation_s;
  a.checkpoint_s += b.checkpoint_s;
  a.lost_work_s += b.lost_work_s;
  a.restart_s += b.restart_s;
  a.growth_s += b.growth_s;
  a.relaunch_s += b.relaunch_s;
  a.paused_s += b.paused_s;
  return a;
}

}  // namespace

Distribution run_monte_carlo(const RunModel& model, const RunCalendar& calendar, const MonteCarloOptions& options,
                             const ProgressCallback& progress) {
  if (options.trials < 1) throw std::invalid_argument("Monte Carlo needs at least one trial");
  const internal::CalendarIndex index(calendar);
  const size_t n_stages = model.stages.size();
  const size_t n = static_cast<size_t>(options.trials);
  std::vector<Samples> stage_samples(n_stages);
  Samples total_samples;
  for (auto& s : stage_samples) s.reserve(n);
  total_samples.reserve(n);
  std::vector<Overheads> random_sums(n_stages);
  std::vector<double> failure_sums(n_stages, 0);
  long long met_deadline = 0;

  Distribution d;
  d.seed = options.seed;
  d.trials_requested = options.trials;
  const long long report_every = std::max(1LL, options.trials / 100);
  internal::NoEvents no_events;
  for (long long trial = 0; trial < options.trials; ++trial) {
    if (progress && trial % report_every == 0 && trial > 0 && !progress(trial, options.trials)) {
      d.cancelled = true;
      break;
    }
    internal::TrialWalker<internal::NoEvents> walker(model, index, trial_seed(options.seed, trial), no_events);
    const std::vector<internal::StageOutcome> outcome = walker.run();
    double billed_s = 0, integral = 0;
    for (size_t i = 0; i < n_stages; ++i) {
      const internal::StageOutcome& r = outcome[i];
      stage_samples[i].push(r.wall_s(), billed_costs(model, r.billed_s(), r.billed_intensity_integral));
      billed_s += r.billed_s();
      integral += r.billed_intensity_integral;
      add_random(random_sums[i], r);
      failure_sums[i] += r.failures;
    }
    const double wall_s = outcome.empty() ? 0 : outcome.back().end_s;
    total_samples.push(wall_s, billed_costs(model, billed_s, integral));
    if (options.deadline_s && wall_s <= *options.deadline_s) ++met_deadline;
    ++d.trials;
  }
  if (progress && !d.cancelled) progress(d.trials, options.trials);

  const double trials = static_cast<double>(d.trials);
  const std::vector<RunExpectation> expected = expected_stages(model);
  for (size_t i = 0; i < n_stages; ++i) {
    const StageRunModel& s = model.stages[i];
    StageDistribution sd;
    sd.name = s.name;
    sd.metrics = stage_samples[i].bands();
    sd.failures_mean = trials > 0 ? failure_sums[i] / trials : 0;
    sd.failures_expected = expected[i].failures;
    sd.overheads = mean_overheads(s, random_sums[i], trials);
    sd.checkpoint_write_s = s.checkpoint_write_s;
    sd.checkpoint_interval_s = s.checkpoint_interval_s;
    sd.optimal_checkpoint_interval_s = s.optimal_checkpoint_interval_s;
    d.failures_mean += sd.failures_mean;
    d.failures_expected += sd.failures_expected;
    d.lost_work_expected_s += expected[i].lost_work_s;
    d.overheads += sd.overheads;
    d.stages.push_back(std::move(sd));
  }
  d.total = total_samples.bands();
  d.checkpoint_cost = checkpoint_cost(model);
  d.total_days = total_samples.days;
  if (options.deadline_s && d.trials > 0) d.deadline_met_fraction = met_deadline / trials;
  double best = std::numeric_limits<double>::infinity();
  for (size_t t = 0; t < d.total_days.size(); ++t) {
    const double gap = std::abs(d.total_days[t] - d.total.days.p50);
    if (gap < best) {
      best = gap;
      d.median_trial = static_cast<long long>(t);
    }
  }
  return d;
}

}  // namespace sprout::simulator
