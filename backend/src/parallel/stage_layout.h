// SPDX-License-Identifier: GPL-3.0-or-later
// Where the ranks of a run sit during one stage: a TP x PP x DP grid with
// tensor parallelism fastest-varying (the ranks of a tensor-parallel group
// are neighbours, so they share a node), then pipeline, then data
// parallelism: world rank = tp + TP (pp + PP dp). Each pipeline rank holds
// `interleave` model chunks (virtual stages): chunk c of pipeline rank r is
// virtual stage c PP + r (Megatron-LM's interleaved schedule), and each
// virtual stage holds a contiguous run of layers; the first holds the
// embedding, the last the final LayerNorm, the output layer and the loss.
#pragma once

#include <string>
#include <vector>

#include "model/parameter_layout.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

struct StageLayout {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int interleave = 1;  // v: model chunks per pipeline rank
  // Sequence parallelism in the tensor-parallel groups (Korthikanti et al.
  // 2022): the plan's parallel.sequence_parallel, on by default with tp > 1.
  bool sequence_parallel = false;
  std::vector<int> chunk_layers;  // layers of each virtual stage, pp * interleave entries

  int world_size() const { return tp * pp * dp; }
  // Tensor or pipeline parallelism: each rank holds a part of the model
  // (else every rank holds all of it).
  bool splits_model() const { return tp > 1 || pp > 1; }
  int virtual_stages() const { return pp * interleave; }
  int layers() const;
  // The process groups depend on tp, pp, dp only (not on the layer split).
  std::string group_key() const;
  // "TP2 PP2 DP1 (layers 2+2)", "TP2 SP PP1 DP1"
  std::string describe() const;
  bool operator==(const StageLayout& o) const;
};

struct RankPosition {
  int tp = 0;
  int pp = 0;
  int dp = 0;
};

RankPosition position_of(const StageLayout& layout, int world_rank);
int world_rank_of(const StageLayout& layout, const RankPosition& position);

// World ranks (ascending) of the groups `world_rank` belongs to.
std::vector<int> tensor_parallel_members(const StageLayout& layout, int world_rank);
std::vector<int> pipeline_members(const StageLayout& layout, int world_rank);
std::vector<int> data_parallel_members(const StageLayout& layout, int world_rank);
// The first and the last pipeline rank of this rank's pipeline, which both
// hold the tied embedding (Megatron-LM's embedding group); empty when pp = 1
// or this rank is neither.
std::vector<int> embedding_members(const StageLayout& layout, int world_rank);

struct LayerRange {
  int begin = 0;
  int end = 0;  // exclusive
};
LayerRange layers_of_virtual_stage(const StageLayout& layout, int virtual_stage);

// Layers per virtual stage that minimise the most expensive one, counting the
// output layer's FLOPs on the last (planner::logit_forward_flops_per_token
// against planner::layer_forward_flops_per_token; the embedding lookup has
// no FLOPs); among equally expensive splits the most even one. Throws
// std::invalid_argument when there are fewer layers than chunks.
std::vector<int> balanced_chunk_layers(const planner::ModelShape& shape, int chunks);

// A stage's layout from the plan (without `parallel:`, data parallel over
// every rank), its layers split as the plan's pp_layers / first_stage_layers /
// last_stage_layers say, or else by balanced_chunk_layers.
StageLayout layout_for_stage(const planner::Stage& stage, int world_size);

// What one rank holds of a model under a layout.
class RankShare {
 public:
  RankShare(StageLayout layout, int world_rank);

  const StageLayout& layout() const { return layout_; }
  const RankPosition& position() const { return position_; }
  int world_rank() const { return world_rank_; }
  // Virtual stages of this rank in chunk order.
  const std::vector<int>& virtual_stages() const { return virtual_stages_; }
  bool holds_layer(int layer) const;
  bool holds_embedding() const;  // virtual stage 0
  bool holds_head() const;       // the last virtual stage
  // Whether this rank holds the parameter at all (tensor-parallel ranks hold
  // a slice of a split one: tensor_sharding.h).
  bool holds(const ParameterSpec& spec, const planner::ModelShape& shape) const;
  // The tied embedding held only for the output layer: a copy kept equal to
  // the first pipeline rank's (gradients summed over the embedding group).
  bool holds_tied_copy(const ParameterSpec& spec, const planner::ModelShape& shape) const;

 private:
  StageLayout layout_;
  int world_rank_ = 0;
  RankPosition position_;
  std::vector<int> virtual_stages_;
};

}  // namespace sprout::backend
