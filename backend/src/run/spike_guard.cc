// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/spike_guard.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace sprout::backend {

SpikeVerdict SpikeGuard::judge(double loss, const std::vector<double>& window) const {
  SpikeVerdict v{.loss = loss};
  const size_t n = window.size();
  if (n > 0) {
    for (double x : window) v.mean += x;
    v.mean /= static_cast<double>(n);
    double squares = 0;
    for (double x : window) squares += (x - v.mean) * (x - v.mean);
    v.std = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;  // the sample standard deviation
  }
  if (!std::isfinite(loss)) {
    v.z = std::numeric_limits<double>::quiet_NaN();
    v.spike = true;
    return v;
  }
  // A window of equal losses has no spread: the smallest one that a double
  // resolves stands in, so that only a real rise counts.
  v.z = (loss - v.mean) / std::max(v.std, 1e-12);
  v.spike = static_cast<long long>(n) >= settings_->window && v.z > settings_->z;
  return v;
}

void SpikeGuard::watch(StepSpec& spec, const std::vector<double>& window) {
  verdict_.reset();
  if (!settings_) return;
  spec.keep_update = [this, &window](double loss) {
    verdict_ = judge(loss, window);
    return !verdict_->spike;
  };
}

void SpikeGuard::after_step(double loss, std::vector<double>& window) const {
  if (!verdict_ || verdict_->spike) return;
  window.push_back(loss);
  if (static_cast<long long>(window.size()) > settings_->window) window.erase(window.begin());
}

void SpikeGuard::count_rollback(long long step) {
  rollbacks_ = step == rollback_step_ ? rollbacks_ + 1 : 1;
  rollback_step_ = step;
  if (rollbacks_ > kMaxRollbacks) {
    throw std::runtime_error(fmt::format(
        "loss spikes: rolled back to step {} {} times; the spikes are not a few bad batches", step, kMaxRollbacks));
  }
}

void SpikeGuard::require_finite(double loss, long long step) const {
  if (!std::isfinite(loss) && !spiked()) throw std::runtime_error(fmt::format("loss is {} at step {}", loss, step));
}

planner::TelemetryRecord SpikeGuard::event(planner::TelemetryRecord base, long long step,
                                           std::optional<std::string> restored) const {
  base.spike = planner::SpikeTelemetry{.step = step,
                                       .loss = verdict_->loss,
                                       .mean = verdict_->mean,
                                       .std = verdict_->std,
                                       .z = verdict_->z,
                                       .action = planner::EnumNames<planner::SpikeAction>::name(settings_->action)};
  base.path = std::move(restored);
  return base;
}

std::string spike_progress_line(const planner::TelemetryRecord& e) {
  return fmt::format("loss spike at step {} (loss {:.4f}, z {:.1f}): {}", e.spike->step, e.spike->loss, e.spike->z,
                     e.path ? "rolled back to " + *e.path : std::string("update skipped"));
}

void continue_after_rollback(const RunCounters& spent, long long sequences_per_step, RunCounters& restored) {
  restored.energy_j = spent.energy_j;
  for (size_t i = 0; i < restored.stages.size() && i < spent.stages.size(); ++i) {
    restored.stages[i].wall_seconds = spent.stages[i].wall_seconds;
    restored.stages[i].energy_j = spent.stages[i].energy_j;
  }
  restored.sequences_consumed = spent.sequences_consumed + sequences_per_step;
}

}  // namespace sprout::backend
