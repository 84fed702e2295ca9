// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/trainer_operations.h"

#include <string>
#include <vector>

namespace sprout::planner::internal {
namespace {

std::vector<std::string> operations_of(const StageWorkload& w) {
  const ModelShape& s = w.shape;
  std::vector<std::string> ops = {s.norm == Norm::kRmsNorm ? "rms_norm" : "layer_norm", "residual_add",
                                  s.activation == Activation::kSwiglu ? "swiglu" : "gelu", "head_copy", "adamw"};
  if (w.attention == AttentionKernel::kStandard) ops.push_back("attention_scores");
  if (rotates_queries_and_keys(s.position)) ops.push_back("rotary");
  return ops;
}

double ns(const HardwareProfile& hw, const std::string& op) { return hw.trainer_ns_per_element.at(op) * 1e-9; }

}  // namespace

bool has_trainer_operations(const StageWorkload& w, const HardwareProfile& hw) {
  if (w.framework != Framework::kSproutTrain) return false;
  for (const auto& op : operations_of(w)) {
    if (!hw.trainer_ns_per_element.count(op)) return false;
  }
  return true;
}

double trainer_layer_operation_seconds(const StageWorkload& w, const HardwareProfile& hw) {
  const ModelShape& s = w.shape;
  const ParallelLayout& p = w.layout;
  const double t = p.tp;
  const double b = p.micro_batch;
  const double tokens = b * s.seq_len;
  const double d = s.head_dim();
  const double heads = s.heads / t, kv_heads = s.kv_heads / t;
  // Element counts of one layer (gpt_forward.cc's block): the residual
  // stream, queries, keys/values, the FFN's hidden activations, the scores.
  const double stream = tokens * s.hidden / (p.sequence_parallel ? t : 1);
  const double queries = tokens * heads * d, keys = tokens * kv_heads * d;
  const double ffn = tokens * s.ffn_hidden / t;
  const double scores = b * heads * s.seq_len * static_cast<double>(s.seq_len);

  const std::string norm = s.norm == Norm::kRmsNorm ? "rms_norm" : "layer_norm";
  double seconds = 2 * stream * ns(hw, norm) + 2 * stream * ns(hw, "residual_add");
  seconds += ffn * ns(hw, s.activation == Activation::kSwiglu ? "swiglu" : "gelu");
  if (rotates_queries_and_keys(s.position)) seconds += (queries + keys) * ns(hw, "rotary");
  if (w.attention == AttentionKernel::kStandard) {
    seconds += scores * ns(hw, "attention_scores");
    // Heads into the batched GEMMs' layout and back: the queries and the
    // output always; keys and values copied (multi-head) or repeated to
    // every query head (GQA's repeat_interleave).
    const double kv_copies = s.kv_heads == s.heads ? 2 * keys : 2 * queries;
    seconds += (2 * queries + kv_copies) * ns(hw, "head_copy");
  }
  return seconds;
}

double trainer_optimizer_seconds(const HardwareProfile& hw, double parameters) { return parameters * ns(hw, "adamw"); }

}  // namespace sprout::planner::internal
