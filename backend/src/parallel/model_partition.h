// SPDX-License-Identifier: GPL-3.0-or-later
// One rank's part of a model (and its Adam moments) under a tensor x
// pipeline x data-parallel layout, cut from the full model, and the full
// model assembled back from every rank's part. The trainer keeps the full
// model at its sync points (start, growth, evaluation, checkpoint, layout
// change) and trains the parts in between; both directions copy exact bits,
// so going through a layout changes nothing (docs/backend.md "Tensor and
// pipeline parallelism").
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "model/adamw.h"
#include "model/gpt_model.h"
#include "model/named_tensors.h"
#include "parallel/optimizer_sharding.h"
#include "parallel/stage_layout.h"
#include "parallel/tensor_sharding.h"

namespace sprout::backend {

struct ModelPart {
  GptModel model;                  // the full shape, this rank's tensors (requires_grad leaves)
  std::vector<size_t> full_index;  // per local parameter: its index in the full model
  AdamWState optimizer;            // the moments of the local parameters (same step)
  // ZeRO-1 over the data-parallel group: per local parameter the DP rank
  // that keeps its moments (the others' are undefined), or kReplicated.
  OptimizerSharding sharding;
};

// Local parameter `j` of `part` (kind 0, detached) or its first (1) or
// second (2) Adam moment (undefined where ZeRO-1 keeps it elsewhere).
inline constexpr int kPartTensorKinds = 3;
torch::Tensor part_tensor(const ModelPart& part, size_t j, int kind);

// This rank's part: the parameters it holds (RankShare::holds), each cut to
// its tensor-parallel slice, with the matching slices of the moments.
ModelPart partition_model(const GptModel& full, const AdamWState& full_optimizer, const RankShare& share);

// Whether this rank's copy of a parameter it holds is the one that counts
// for the whole run (writes it back to the full model, adds to the gradient
// norm, goes into its checkpoint shard): data-parallel rank 0, tensor-
// parallel rank 0 for a replicated parameter, and not the tied embedding copy
// of the last pipeline stage.
bool counts_parameter(const ParameterSpec& spec, const planner::ModelShape& shape, const RankShare& share);
inline bool counts_parameter(const ModelPart& part, size_t i, const RankShare& share) {
  return counts_parameter(part.model.specs()[i], part.model.shape(), share);
}
// The same for the Adam moments of local parameter `i`: under ZeRO-1 the DP
// rank that keeps them instead of DP rank 0.
bool counts_moments(const ModelPart& part, size_t i, const RankShare& share);
// counts_parameter for kind 0, counts_moments for the moments (part_tensor's kinds).
inline bool counts_part_tensor(const ModelPart& part, size_t j, int kind, const RankShare& share) {
  return kind == 0 ? counts_parameter(part, j, share) : counts_moments(part, j, share);
}

// Sharded checkpoints (docs/backend.md "Tensor and pipeline parallelism"):
// every rank saves the parameters and Adam moments it counts, each under its
// full name ("param/h.0.attn.wq", "adam.exp_avg/...", "adam.exp_avg_sq/...")
// and, when tensor parallelism splits it, with the slice it holds appended:
// "param/h.0.attn.wq#0:2:4" is heads [2, 4) of logical axis 0. Names and
// slices do not depend on who wrote them, so any layout can load them.
NamedTensors checkpoint_shard(const ModelPart& part, const RankShare& share);

// The layout-independent index of the shards a layout writes (rank 0 puts it
// in state.json): per full tensor name, its storage sizes and the names of
// its slices (in the ranks' shard files).
nlohmann::json checkpoint_shard_index(const GptModel& full, const StageLayout& layout);

// Tensor `name` ("param/..." or "adam.exp_avg.../...") of parameter `spec`
// from a checkpoint's tensors: whole, or assembled bitwise from its slices.
// Throws std::runtime_error when it is absent or its slices do not cover the
// split axis exactly once (a shard is missing).
torch::Tensor checkpoint_tensor(const std::map<std::string, torch::Tensor>& tensors, const std::string& name,
                                const ParameterSpec& spec, const planner::ModelShape& shape);

// The same from a checkpoint's record names `records` (a sorted map's keys:
// the names that start with `name`), reading only the records that overlap
// `range` of the split axis (empty: the whole tensor) through `read`: the
// part a tensor-parallel rank holds, in storage shape. Throws as
// checkpoint_tensor does, whatever `range` is.
torch::Tensor checkpoint_tensor_part(const std::vector<std::string>& records,
                                     const std::function<torch::Tensor(const std::string&)>& read,
                                     const std::string& name, const ParameterSpec& spec,
                                     const planner::ModelShape& shape, const AxisRange& range);

// Throws as checkpoint_tensor does unless `records` (checkpoint_records_of)
// hold `name` whole or slices that cover its split axis exactly once; reads
// nothing.
void check_checkpoint_records_cover(const std::vector<std::string>& records, const std::string& name,
                                    const ParameterSpec& spec, const planner::ModelShape& shape);

// The names in `records` (sorted) of tensor `name`: itself and its slices.
std::vector<std::string> checkpoint_records_of(const std::vector<std::string>& records, const std::string& name);

// Collective over `world` (every rank of the layout): every rank's `full`
// and `full_optimizer` get the trained values of every part. Exact: each
// element is written by one rank and the others add zero bits (the sum runs
// on the bit patterns as integers). `full` needs its shape and specs only.
void assemble_full_model(Communicator& world, const ModelPart& part, const RankShare& share, GptModel& full,
                         AdamWState& full_optimizer);

// With sequence parallelism a tensor-parallel rank's gradient of a
// replicated parameter (LayerNorms, position embedding, row-parallel
// biases) covers only its block of positions; the gradient is their sum over
// the group (Korthikanti et al. 2022, sec. 4.2.2; Megatron-LM's
// allreduce_sequence_parallel_grads). Run after backward, before the
// data-parallel reduction.
void sum_sequence_parallel_gradients(ModelPart& part, Communicator& tensor);

// `full` without its tensors (shape and specs kept), and its moments
// dropped: what a rank keeps of the full model while it trains its part, so
// it holds no more than its part between assemblies.
GptModel released_full_model(const GptModel& full, AdamWState& full_optimizer);

}  // namespace sprout::backend
