// SPDX-License-Identifier: GPL-3.0-or-later
// The loss-spike guard (`training.spike`, docs/backend.md "Loss spikes"): a
// step whose loss exceeds the mean of the last `window` kept steps' losses by
// more than z standard deviations (or is not finite) spikes. Then either its
// update is not applied (skip: decided before the optimizer, from the loss
// every rank has after the all-reduce, so every rank decides alike) or the
// run goes back to its last checkpoint and continues with the data after the
// bad batch (rollback). The window lives in the run's counters, so a resumed
// run judges as the uninterrupted one would.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checkpoint/run_state.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/telemetry_record.h"
#include "step/training_step.h"

namespace sprout::backend {

struct SpikeVerdict {
  bool spike = false;
  double loss = 0, mean = 0, std = 0, z = 0;
};

class SpikeGuard {
 public:
  explicit SpikeGuard(std::optional<planner::SpikeSettings> settings) : settings_(settings) {}

  // Has `spec` ask the guard before its update: the step's loss is judged
  // against `window` (nothing when the guard is off).
  void watch(StepSpec& spec, const std::vector<double>& window);
  // The watched step spiked; and is to be rolled back.
  bool spiked() const { return verdict_ && verdict_->spike; }
  bool rolls_back() const { return spiked() && settings_->action == planner::SpikeAction::kRollback; }
  // After the watched step: a kept step's loss joins the window (the oldest
  // leaves when it is full).
  void after_step(double loss, std::vector<double>& window) const;
  // A rollback to the checkpoint at `step` (-1: the start). Throws
  // std::runtime_error when the run has gone back there kMaxRollbacks times:
  // the spikes do not come from a few bad batches.
  void count_rollback(long long step);
  // Throws std::runtime_error for a non-finite loss of step `step` that the
  // guard did not catch (it is off): the run cannot go on from it.
  void require_finite(double loss, long long step) const;

  // The `spike` event of the watched step (number `step`) on `base`;
  // `restored`: the checkpoint a rollback went back to.
  planner::TelemetryRecord event(planner::TelemetryRecord base, long long step,
                                 std::optional<std::string> restored) const;

  // Judges a loss against a window (before it is full, only a non-finite
  // loss spikes).
  SpikeVerdict judge(double loss, const std::vector<double>& window) const;

 private:
  static constexpr int kMaxRollbacks = 5;
  std::optional<planner::SpikeSettings> settings_;
  std::optional<SpikeVerdict> verdict_;
  long long rollback_step_ = -2;
  int rollbacks_ = 0;
};

// "loss spike at step 12 (z 9.3): update skipped" (or "rolled back to DIR").
std::string spike_progress_line(const planner::TelemetryRecord& event);

// After a rollback the restored counters keep the wall time and energy
// spent since the checkpoint (they were spent), and the data position moves
// on past the bad step's `sequences_per_step` sequences.
void continue_after_rollback(const RunCounters& spent, long long sequences_per_step, RunCounters& restored);

}  // namespace sprout::backend
