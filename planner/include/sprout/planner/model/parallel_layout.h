// SPDX-License-Identifier: GPL-3.0-or-later
// How one stage is spread over GPUs (Megatron-LM terms).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/model/model_shape.h"

namespace sprout::planner {

// kFlash: FlashAttention-2 (Dao 2023); kFlash1: FlashAttention-1 (Dao et
// al. 2022), about half as fast (Dao 2023: FA2 is ~2x FA1, which reaches
// 25-40% of the peak).
enum class AttentionKernel { kStandard, kFlash, kFlash1 };
template <>
struct EnumNameTable<AttentionKernel> {
  static constexpr EnumName<AttentionKernel> entries[] = {{AttentionKernel::kStandard, "standard"},
                                                          {AttentionKernel::kFlash, "flash"},
                                                          {AttentionKernel::kFlash1, "flash1"}};
};

// The training codebase whose kernels and schedule the stage's costs model.
// Megatron-LM is what the cost model's kernels are (Narayanan et al. 2021,
// Korthikanti et al. 2022); DeepSpeed's pipeline engine (Megatron-DeepSpeed,
// GPT-NeoX) and other codebases (SageMaker model parallelism, FSDP) run the
// same work at a fitted fraction of that speed (model_calibration.h).
// kSproutTrain: this project's trainer (backend/), whose unfused LibTorch
// operations the model counts one by one where the profile measured them.
enum class Framework { kMegatronLm, kDeepSpeed, kOther, kSproutTrain };
template <>
struct EnumNameTable<Framework> {
  static constexpr EnumName<Framework> entries[] = {{Framework::kMegatronLm, "megatron-lm"},
                                                    {Framework::kDeepSpeed, "deepspeed"},
                                                    {Framework::kOther, "other"},
                                                    {Framework::kSproutTrain, "sprout-train"}};
};

struct ParallelLayout {
  int tp = 1;           // tensor parallel ranks (inside a node)
  int pp = 1;           // pipeline stages
  int dp = 1;           // data parallel replicas
  int micro_batch = 1;  // sequences per micro-batch
  int interleave = 1;   // virtual pipeline chunks per stage (v); 1 = plain 1F1B
  bool sequence_parallel = false;
  bool distributed_optimizer = false;  // ZeRO-1: optimizer states sharded over DP
  // ZeRO-3 / FSDP: parameters, gradients and optimizer states sharded over
  // `shard_ranks` data-parallel ranks (0: all of DP), weights all-gathered
  // for each forward and backward (DeepSpeed ZeRO-3, PyTorch FSDP, SageMaker
  // sharded data parallelism).
  bool fully_sharded = false;
  int shard_ranks = 0;
  Recompute recompute = Recompute::kNone;
  // Layers on each pipeline stage (pp entries summing to the layers), as
  // Megatron-LM's --decoder-first/last-pipeline-num-layers or DeepSpeed's
  // partition methods set them; empty: layers / pp on every stage.
  std::vector<int> stage_layers;

  int gpus() const { return tp * pp * dp; }
  // Ranks one ZeRO-3 shard group spans (1 without full sharding).
  int shard_group() const { return fully_sharded ? (shard_ranks > 0 ? shard_ranks : dp) : 1; }
};

// What is wrong with a layout for a model on a GPU count, or nothing.
// Checks: tp divides heads and kv_heads, pp <= layers and divides them
// (into pp * interleave chunks) unless stage_layers say how they are split
// (one entry per stage, each >= 1, summing to the layers, no interleaving),
// tp*pp*dp == gpus, micro-batch >= 1.
std::optional<std::string> layout_problem(const ParallelLayout& layout, const ModelShape& shape, int gpus);

// Layers on each of the pp stages: stage_layers, or layers / pp each.
std::vector<int> layers_by_stage(const ParallelLayout& layout, int layers);
// Whether the stages hold different numbers of layers.
bool uneven_stages(const ParallelLayout& layout);
// pp stages holding `layers` as evenly as possible, the first `first` and the
// last `last` layers (0: as the others); the middle stages' extra layers go
// to the stages after the first. Empty when it cannot be done (a stage would
// hold no layer).
std::vector<int> split_layers(int layers, int pp, int first = 0, int last = 0);

std::string describe(const ParallelLayout& layout);  // "TP4 PP2 DP24 mb1 v1 sp selective"

const char* to_string(AttentionKernel k);
const char* to_string(Framework f);

}  // namespace sprout::planner
