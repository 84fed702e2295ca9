// SPDX-License-Identifier: GPL-3.0-or-later
// What the steps since the last step record took: wall seconds, tokens,
// where the time went (compute, wait, reduce, optimizer), the pipeline
// bubble and every pipeline op's time. The training loop adds each step
// and asks for the record's measured fields and the progress line; the
// accumulating stays here (as torchtitan keeps its metrics out of the loop).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checkpoint/run_state.h"
#include "run/stage_schedule.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/telemetry_record.h"
#include "step/parallel_step.h"

namespace sprout::backend {

// Pipeline ops (p v m) up to which a step record lists every op's time: a
// few KB per record; larger pipelines log the per-stage means only.
inline constexpr size_t kMaxLoggedOps = 1024;

class StepMeter {
 public:
  StepMeter(const planner::Plan& plan, const std::vector<StageSchedule>& schedules, int rank_count);

  // A new stage (counting starts afresh); `pipeline`: what its step records
  // describe when it is pipelined (StageRuntime::pipeline).
  void begin_stage(size_t stage_index, std::optional<planner::PipelineTelemetry> pipeline);
  // One step: its wall seconds, its tokens (the global batch) and what it measured.
  void add_step(double seconds, double tokens, const ParallelStepResult& step);

  // Fills the measured fields of a step record (`tokens_per_s`,
  // `tflops_per_gpu`, the step time split and `pipeline`: means over the
  // steps since the last record; `activation_peak_bytes`: their largest;
  // `recompute`: the stage's) and starts counting afresh.
  void fill_step_record(planner::TelemetryRecord& record);

  // A step record on `base`: the step's loss, lr, gradient norm (before
  // clipping) and mask, and the measured fields (fill_step_record).
  planner::TelemetryRecord step_record(planner::TelemetryRecord base, double loss, double lr, double grad_norm,
                                       std::optional<double> mask);

  // "[stage/stages name] step ... ETA ...": the ETA is the model FLOPs left
  // in the plan at the last step's FLOP rate; tok/s is the last record's.
  std::string progress_line(const RunCounters& counters, double loss, double lr, std::optional<double> mask) const;

 private:
  const planner::Plan& plan_;
  const std::vector<StageSchedule>& schedules_;
  int rank_count_;
  long long total_steps_;
  size_t stage_index_ = 0;
  double flops_per_token_ = 0;  // of the current stage's shape
  std::optional<planner::PipelineTelemetry> pipeline_;
  // Since the last record: steps' own seconds, tokens, and where the time went.
  double seconds_ = 0, tokens_ = 0, steps_ = 0;
  double compute_s_ = 0, wait_s_ = 0, reduce_s_ = 0, optimizer_s_ = 0;
  double exposed_comm_s_ = 0, exposed_comm_steps_ = 0;  // over the steps that measured it
  double bubble_ = 0;
  int64_t activation_peak_bytes_ = 0;  // 0: not measured
  PipelineOpTimes ops_;                // pipelined stages: every op's seconds, summed
  double flops_per_second_ = 0;        // of the last step
  double last_tokens_per_s_ = 0;       // of the last record
};

}  // namespace sprout::backend
