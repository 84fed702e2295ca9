// SPDX-License-Identifier: GPL-3.0-or-later
// RUN_DIR/summary.json (docs/backend.md "Run directory"): how the run ran and
// its per-stage totals, rewritten atomically at every stage end and at stop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint/run_state.h"
#include "data/token_source.h"
#include "run/stage_schedule.h"
#include "sprout/planner/model/parallel_layout.h"
#include "sprout/planner/runs/run_provenance.h"

namespace sprout::backend {

// How the run ran: the same for all of its summaries.
struct RunDescription {
  std::string plan_name;
  int rank_count = 1;
  std::string device;  // "cpu", "cuda:0"
  int threads = 1;
  std::string dtype;                // fp32 | bf16
  std::string energy_source;        // nvml | rapl | model
  double energy_model_power_w = 0;  // per device, when energy_source is model (the plan's hardware and power_model)
  std::string collectives;          // single | gloo | nccl
  std::string rendezvous;           // single | torchrun | slurm | kubernetes
  int64_t bucket_bytes = 0;
  long long collective_timeout_s = 0;
  double unigram_entropy_nats = 0;  // of the training tokens (TokenSource::unigram_entropy_nats)
  // Per stage of the plan: what its backward passes recompute and its attention kernel.
  std::vector<planner::Recompute> recompute;
  std::vector<planner::AttentionKernel> attention;
  std::vector<std::string> layouts;  // "TP2 SP PP1 DP2 ZeRO-1, micro-batch 1 x 8", as each stage runs
  planner::RunProvenance provenance;
};

// `run` with, per stage of the plan, what its backward passes recompute
// (from its schedule), its attention kernel and the layout it runs on
// (`zero1_option`: sprout-train's --zero1).
RunDescription with_stage_kernels(RunDescription run, const planner::Plan& plan,
                                  const std::vector<StageSchedule>& schedules, const std::string& zero1_option);

// The run's first progress line: plan, stages and steps, ranks, device,
// threads, precision, and the data (`tokens`).
std::string run_start_line(const RunDescription& run, size_t stages, long long steps, const TokenSource& tokens);

// "stage 'NAME' done: N steps, T tokens, S s, train loss L, val loss V"
std::string stage_done_line(const StageRecord& stage);

// `zero1`: whether the current stage shards the full model's Adam moments.
void write_run_summary(const std::string& path, const RunDescription& run, bool zero1, const RunCounters& counters,
                       bool complete);

}  // namespace sprout::backend
