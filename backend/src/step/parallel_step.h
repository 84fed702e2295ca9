// SPDX-License-Identifier: GPL-3.0-or-later
// One optimizer step of a tensor/pipeline-parallel layout (Megatron-LM,
// Narayanan et al. SC 2021): every pipeline rank runs its micro-batches in
// the 1F1B order of planner::pipeline_order (interleaved over its model
// chunks when v > 1), receiving activations from the previous virtual stage
// and gradients from the next over the pipeline group;
// tensor-parallel collectives run inside the layers (gpt_forward.h); then
// gradients are averaged over the data-parallel group in buckets, the tied
// embedding's gradient is summed over the first and last stage, the global
// norm is clipped over all ranks and every rank runs AdamW on its part.
#pragma once

#include <array>
#include <vector>

#include "parallel/model_partition.h"
#include "parallel/process_groups.h"
#include "step/training_step.h"

namespace sprout::backend {

// Seconds of each op of a pipelined step, micro-batch mb of (virtual stage
// or chunk) s at s m + mb: its own time (without waiting for its input or
// the p2p calls) and the p2p calls after it (posting its send and the next
// receive).
struct PipelineOpTimes {
  std::vector<double> forward_s, backward_s, forward_p2p_s, backward_p2p_s;

  static constexpr size_t kSeries = 4;
  std::array<std::vector<double>*, kSeries> series() {
    return {&forward_s, &backward_s, &forward_p2p_s, &backward_p2p_s};
  }
  std::array<const std::vector<double>*, kSeries> series() const {
    return {&forward_s, &backward_s, &forward_p2p_s, &backward_p2p_s};
  }
  size_t ops() const { return forward_s.size(); }
  void assign_zeros(size_t ops);           // `ops` ops, all 0
  void add(const PipelineOpTimes& other);  // element-wise, same size
  PipelineOpTimes scaled(double factor) const;
  double own_seconds() const;  // sum of the forward and backward times
};

struct ParallelStepResult {
  StepResult step;
  // Pipeline bubble of this step, the mean over the ranks: the time a rank
  // spent waiting for an activation or a gradient from its neighbours
  // (transfer included), divided by its ops' own time (forward/backward
  // work, without the waits and the p2p calls).
  double bubble_fraction = 0;
  // Every op's times, the mean over the ranks that run it (the TP x DP
  // replicas of a pipeline rank), by virtual stage (chunk c of pipeline rank
  // r is virtual stage c p + r): p v m ops. The simulator replays them
  // (pipeline_bubble.h).
  PipelineOpTimes ops;
};

// The validation loss of evaluate() on the parts: the DP groups split the
// windows in micro-batches, each runs forward through its pipeline (no
// gradients), the last stage's loss is summed over all windows.
double parallel_evaluate(const ModelPart& part, const GrowthMasks* masks, const EvalSpec& spec, const RankShare& share,
                         ProcessGroups& groups);

// One-way time of an activation [micro_batch, positions, hidden] between
// neighbouring pipeline ranks, the median of `round_trips` ping-pongs
// (after one to warm up) halved, averaged over the pairs (0, 1), (2, 3), ...
// of every pipeline: the p2p latency the iteration DAG needs to replay a
// step (collective over the world; 0 without pipeline parallelism).
double measure_pipeline_p2p_seconds(const RankShare& share, ProcessGroups& groups, int64_t micro_batch, int64_t seq_len,
                                    int64_t hidden, torch::Device device, int round_trips = 10);

ParallelStepResult parallel_train_step(ModelPart& part, const AdamWSettings& adamw, const GrowthMasks* masks,
                                       const StepSpec& spec, const RankShare& share, ProcessGroups& groups);

}  // namespace sprout::backend
