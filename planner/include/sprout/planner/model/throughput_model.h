// SPDX-License-Identifier: GPL-3.0-or-later
// Time of one training iteration of a stage, as an explainable sum:
//   compute (GEMMs at the profile's efficiency for their size, memory-bound
//   kernels at HBM bandwidth), TP collectives, pipeline bubble and p2p, the
//   exposed part of the DP gradient all-reduce, the optimizer step.
// Every term is in docs/formulas.md with its source.
#pragma once

#include <vector>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"

namespace sprout::planner {

struct StageWorkload {
  ModelShape shape;
  ParallelLayout layout;
  AttentionKernel attention = AttentionKernel::kStandard;
  Framework framework = Framework::kMegatronLm;
  double dropout = 0;
  long long global_batch_sequences = 0;  // sequences per optimizer step
  // Bucketed DP gradient reduction may start during the last micro-batch's
  // backward (Megatron-LM --overlap-grad-reduce, PyTorch DDP).
  bool overlap_grad_reduce = true;
  // The stage starts with an MSG width ramp (grow: {width: true,
  // grow_steps > 0}): its memory peaks during it (workload_memory).
  bool width_ramp = false;
};

// Seconds of one iteration, by where they go. Sums to iteration_seconds.
struct IterationBreakdown {
  double compute_s = 0;    // GEMMs + memory-bound kernels, all micro-batches, slowest stage
  double tp_comm_s = 0;    // tensor-parallel all-reduce / all-gather / reduce-scatter
  double bubble_s = 0;     // pipeline fill and drain
  double pp_comm_s = 0;    // pipeline p2p sends on the critical path
  double dp_comm_s = 0;    // exposed data-parallel gradient reduction
  double optimizer_s = 0;  // Adam step
  double other_s = 0;      // kernel launch overheads
  double total_s() const { return compute_s + tp_comm_s + bubble_s + pp_comm_s + dp_comm_s + optimizer_s + other_s; }
};

// Per-micro-batch times of one pipeline stage (used by the simulator's DAG).
struct MicroBatchTimes {
  double forward_s = 0;            // one micro-batch through one pipeline chunk, incl. TP comm
  double backward_s = 0;           // incl. recomputation and TP comm
  double forward_tp_comm_s = 0;    // the TP-collective part of forward_s
  double backward_tp_comm_s = 0;   // the TP-collective part of backward_s
  double p2p_s = 0;                // send of one activation (or gradient) to the next stage
  double first_stage_extra_s = 0;  // embedding lookup forward+backward
  double last_stage_extra_s = 0;   // logits + loss forward+backward
  double dp_allreduce_s = 0;       // whole gradient reduction of one stage's parameters
  double dp_overlappable_s = 0;    // part of it that can hide behind the last backward
  double dp_param_gather_s = 0;    // part of dp_allreduce_s after the optimizer (ZeRO-1 all-gather)
  bool dp_overlap = true;          // gradient buckets may start during the last backward
  double optimizer_s = 0;
  double launch_overhead_s = 0;  // kernel launches of one chunk's forward + backward
  int chunks_per_stage = 1;      // interleave v
  int micro_batches = 0;         // per iteration per pipeline
  // Uneven pipeline stages: layers on each stage (interleave 1). forward_s,
  // backward_s, their TP parts and launch_overhead_s are then for the mean
  // stage (layers / pp) and scale with each stage's layers. Empty: even.
  std::vector<int> layers_by_stage;
};

struct IterationEstimate {
  IterationBreakdown breakdown;
  MicroBatchTimes micro;
  double iteration_s = 0;
  double model_flops = 0;     // per iteration (MFU numerator)
  double hardware_flops = 0;  // per iteration incl. recomputation
  double tflops_per_gpu = 0;  // model FLOPs / time / GPUs
  double hardware_tflops_per_gpu = 0;
  double mfu = 0;  // model FLOPs utilisation
  double hfu = 0;
  int micro_batches = 0;                 // per pipeline per iteration
  long long global_batch_sequences = 0;  // after rounding to dp * micro_batch
};

IterationEstimate estimate_iteration(const StageWorkload& work, const HardwareProfile& hw);

// Sets the iteration time and the throughput figures that follow from it
// (TFLOP/s per GPU, MFU, HFU) from the estimate's FLOPs.
void set_iteration_seconds(IterationEstimate& estimate, double iteration_s, int gpus, const HardwareProfile& hw);

// Extra seconds per iteration while an MSG growth mask ramps (Yao et al.
// 2023): width growth multiplies new hidden units, heads and FFN neurons by
// the mask and weights the LayerNorm statistics with it; depth growth blends
// each new block with its input. Memory-bound elementwise work plus one
// kernel launch per operation; after the ramp the mask code is gone.
double msg_mask_seconds_per_iteration(const StageWorkload& work, const HardwareProfile& hw, bool width, bool depth,
                                      int new_layers);

// Number of micro-batches per pipeline per iteration after rounding the
// global batch to a multiple of dp * micro_batch (at least 1).
int micro_batches_per_iteration(long long global_batch_sequences, const ParallelLayout& layout);

}  // namespace sprout::planner
