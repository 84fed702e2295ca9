// SPDX-License-Identifier: GPL-3.0-or-later
// A trained run's pipeline bubble next to the simulator's prediction for the
// same layout. sprout-train logs, per step of a pipelined stage, the mean time
// of one micro-batch's forward and backward on every virtual stage and the
// bubble it measured (docs/backend.md "Pipeline parallelism"); the iteration
// DAG (iteration_schedule.h) is fed those op times and predicts the bubble of
// the same schedule, so the two differ only by what the schedule model
// leaves out (p2p latency, jitter) and by ops that ran at another speed than
// their stage's mean (on CPUs that share a machine an op runs faster while
// its neighbour idles). Where the run logged every op's time the DAG also
// replays each step as it ran, the time in p2p calls after each op
// included: that prediction leaves out only the transfer latency.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/runs/run_record.h"

namespace sprout::simulator {

struct PipelineBubbleCheck {
  size_t stage = 0;
  std::string stage_name;
  std::string schedule;           // "1F1B" | "interleaved 1F1B"
  int stages = 1;                 // p
  int chunks = 1;                 // v
  int micro_batches = 1;          // m
  int steps = 0;                  // step records averaged (a stage's first step, the warm-up, is left out)
  double measured_fraction = 0;   // bubble / busiest rank's op time, mean over the steps
  double simulated_fraction = 0;  // the DAG's, from the mean measured op times
  // The DAG's mean over the ranks, each step replayed from its own op times,
  // averaged over the steps: what the trainer measures (absent when the run
  // logged stage means only).
  std::optional<double> replayed_fraction;
  double analytic_fraction = 0;  // (p - 1) / (v m), uniform stages (Narayanan et al. 2021)
};

// One entry per stage that logged pipeline records. Throws
// planner::InputError naming the telemetry line for a malformed record.
std::vector<PipelineBubbleCheck> check_pipeline_bubbles(const planner::RunRecord& run);

}  // namespace sprout::simulator
