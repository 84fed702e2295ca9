// SPDX-License-Identifier: GPL-3.0-or-later
// Every parameter of the GPT by name, with what each tensor dimension means.
// The axis meaning is what lets one generic routine grow a tensor (copy the
// old values into the leading block, MSG), transfer Adam moments, and later
// shard a tensor across tensor-parallel ranks (docs/backend.md "Model").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

// What one logical dimension counts.
enum class Axis { kVocab, kPosition, kHidden, kHeads, kKvHeads, kHeadDim, kFfn };

enum class Init {
  kNormal,          // N(0, init_std)
  kNormalResidual,  // N(0, init_std / sqrt(2 layers)): projections into the residual stream (GPT-2)
  kOnes,            // LayerNorm gain
  kZeros,           // biases, LayerNorm shift
};

struct ParameterSpec {
  std::string name;
  // Storage dimension i is the product of the axes in group i, e.g. the query
  // projection is {{kHeads, kHeadDim}, {kHidden}}: a [heads*head_dim, hidden]
  // matrix whose rows are head-major.
  std::vector<std::vector<Axis>> axes;
  Init init = Init::kNormal;
  bool weight_decay = false;  // matrices and embeddings decay; gains and biases do not
  int layer = -1;             // block index, -1 for embeddings and the final norm
};

// All parameters of `shape` in their fixed order (the optimizer, checkpoint
// and gradient all-reduce order). Throws InputError-free std::invalid_argument
// for shapes the backend cannot build (checked earlier by check_shape).
std::vector<ParameterSpec> gpt_parameter_specs(const planner::ModelShape& shape);

// The specs of one block, named "h.<layer>.<part>".
std::vector<ParameterSpec> block_parameter_specs(const planner::ModelShape& shape, int layer);

int64_t axis_size(Axis axis, const planner::ModelShape& shape);
// Storage shape (one entry per axis group) and logical shape (one per axis).
std::vector<int64_t> storage_sizes(const ParameterSpec& spec, const planner::ModelShape& shape);
std::vector<int64_t> logical_sizes(const ParameterSpec& spec, const planner::ModelShape& shape);
// The storage shape of logical sizes `logical` grouped as `groups` (a spec's axes).
std::vector<int64_t> storage_of(const std::vector<std::vector<Axis>>& groups, const std::vector<int64_t>& logical);

// "h.3.attn.wq" with the block index replaced: the same part in another block.
std::string rename_layer(const std::string& name, int new_layer);

}  // namespace sprout::backend
