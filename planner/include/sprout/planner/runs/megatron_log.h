// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM training logs as a run of a plan (`sprout compare PLAN
// --megatron-log FILE...`, docs/compare.md "Megatron-LM logs"): the lines
// Megatron-LM's training loop prints (training_log in
// megatron/training/training.py at the commit named in megatron_export.h),
//
//   [2024-01-01 00:00:00.000000] iteration      100/   10000 | consumed samples:        51200 |
//   elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 160.2 |
//   learning rate: 3.000000E-04 | global batch size:   512 | lm loss: 2.345678E+00 | ...
//
// (one line each), its validation lines (`validation loss at iteration N |
// lm loss value: ...`) and its argument dump (`  num_layers ..... 40`),
// become the same RunRecord a sprout-train run directory gives, so the
// comparison is the one of planner/runs/run_comparison.h.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/run_record.h"

namespace sprout::planner {

// Files in stage order (a stage may span several files: a resumed job).
// Stages: an argument dump names the shape (num_layers, hidden_size,
// num_attention_heads, seq_length), which picks the plan stage; without one,
// consumed samples that start again from a smaller count start the next
// stage. Tokens are consumed samples x the stage's sequence length; time is
// the sum of Megatron-LM's elapsed time per iteration (so the gaps between
// jobs do not count); energy is the log's `energy per GPU` when printed
// (--log-energy, NVML), else the profile's power x that time.
//
// Throws InputError naming the file (and line) for a file without iteration
// lines, a log of another model than the plan (an argument dump or a global
// batch size no stage has), more stages than the plan's, or an unreadable number.
// `estimate` gives each stage's global batch and iterations (the planner's).
RunRecord read_megatron_logs(const Plan& plan, const PlanEstimate& estimate, const std::vector<std::string>& files);

}  // namespace sprout::planner
