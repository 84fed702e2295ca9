// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/trainer_operations.h"

#include <string>
#include <vector>

namespace sprout::planner::internal {
namespace {

// The operations of the model's norm and FFN activation.
const char* norm_operation(const ModelShape& s) { return s.norm == Norm::kRmsNorm ? "rms_norm" : "layer_norm"; }
const char* activation_operation(const ModelShape& s) {
  return s.activation == Activation::kSwiglu ? "swiglu" : "gelu";
}

std::vector<std::string> operations_of(const StageWorkload& w, const HardwareProfile& hw) {
  const ModelShape& s = w.shape;
  std::vector<std::string> ops = {norm_operation(s), "residual_add", activation_operation(s), "head_copy", "adamw"};
  if (runs_fused_cpu_attention(w, hw)) {
    ops.push_back("causal_attention");
  } else if (w.attention == AttentionKernel::kStandard) {
    ops.push_back("attention_scores");
  }
  if (rotates_queries_and_keys(s.position)) ops.push_back("rotary");
  return ops;
}

// Elements of one micro-batch's residual stream on a rank: split over the
// tensor-parallel ranks only with sequence parallelism.
double residual_stream_elements(const StageWorkload& w) {
  const ParallelLayout& p = w.layout;
  return static_cast<double>(p.micro_batch) * w.shape.seq_len * w.shape.hidden / (p.sequence_parallel ? p.tp : 1);
}

// Seconds per element of `op` on a tensor of `elements` elements.
double seconds_per_element(const HardwareProfile& hw, const std::string& op, double elements) {
  return hw.trainer_ns_at(op, elements) * 1e-9;
}

// Seconds of `op` on a tensor of `elements` elements.
double operation_seconds(const HardwareProfile& hw, const std::string& op, double elements) {
  return elements * seconds_per_element(hw, op, elements);
}

// The same; 0 where the profile did not measure `op` (the operations
// kTrainerOps calls optional).
double measured_seconds(const HardwareProfile& hw, const std::string& op, double elements) {
  return hw.trainer_ns_per_element.count(op) ? operation_seconds(hw, op, elements) : 0;
}

// Seconds of the layer's glue around its GEMMs (kernels/linear.cc,
// gpt_forward.cc): the QKV weights concatenated for one GEMM and, in biased
// blocks, each bias broadcast into its linear layer's output and its
// gradient summed. The column-parallel layers' outputs (QKV, the FFN's
// first) are split over the TP ranks; the row-parallel ones' (the attention
// and FFN outputs) are the residual stream.
double linear_glue_seconds(const StageWorkload& w, const HardwareProfile& hw, double tokens) {
  const ModelShape& s = w.shape;
  const double t = w.layout.tp;
  const double qkv_width = (s.heads + 2.0 * s.kv_heads) * s.head_dim() / t;
  double seconds = measured_seconds(hw, "weight_concat", qkv_width * s.hidden);
  if (has_biases(s)) {
    seconds += measured_seconds(hw, "linear_bias", tokens * qkv_width);
    seconds += measured_seconds(hw, "linear_bias", tokens * s.ffn_hidden / t);
    seconds += 2 * measured_seconds(hw, "linear_bias", residual_stream_elements(w));
  }
  return seconds;
}

}  // namespace

bool runs_fused_cpu_attention(const StageWorkload& w, const HardwareProfile& hw) {
  return w.framework == Framework::kSproutTrain && w.attention == AttentionKernel::kStandard &&
         hw.trainer_ns_per_element.count("causal_attention") > 0;
}

bool has_trainer_operations(const StageWorkload& w, const HardwareProfile& hw) {
  if (w.framework != Framework::kSproutTrain) return false;
  for (const auto& op : operations_of(w, hw)) {
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
  const double stream = residual_stream_elements(w);
  const double queries = tokens * heads * d, keys = tokens * kv_heads * d;
  const double ffn = tokens * s.ffn_hidden / t;
  const double scores = b * heads * s.seq_len * static_cast<double>(s.seq_len);

  // Each operation at its cost per element for the size it acts on (the
  // rotary cost covers queries and keys in one measurement, as run).
  auto cost = [&](const std::string& op, double elements) { return operation_seconds(hw, op, elements); };
  double seconds = 2 * cost(norm_operation(s), stream) + 2 * cost("residual_add", stream);
  seconds += cost(activation_operation(s), ffn) + linear_glue_seconds(w, hw, tokens);
  if (rotates_queries_and_keys(s.position)) seconds += cost("rotary", queries + keys);
  if (runs_fused_cpu_attention(w, hw)) {
    // The fused kernel reads q, k, v where the QKV GEMM wrote them and
    // writes the output in the layout the projection reads: no head copies
    // but GQA's repeated keys and values.
    seconds += cost("causal_attention", scores * d);  // score elements x head size
    if (s.kv_heads != s.heads) seconds += 2 * cost("head_copy", queries);
  } else if (w.attention == AttentionKernel::kStandard) {
    seconds += cost("attention_scores", scores);
    // Heads into the batched GEMMs' layout and back: the queries and the
    // output always; keys and values copied (multi-head) or repeated to
    // every query head (GQA's repeat_interleave).
    seconds += 2 * cost("head_copy", queries);
    seconds += s.kv_heads == s.heads ? 2 * cost("head_copy", keys) : 2 * cost("head_copy", queries);
  }
  return seconds;
}

double trainer_final_norm_seconds(const StageWorkload& w, const HardwareProfile& hw) {
  return operation_seconds(hw, norm_operation(w.shape), residual_stream_elements(w));
}

bool measured_embedding(const HardwareProfile& hw) { return hw.trainer_ns_per_element.count("embedding") > 0; }

double trainer_embedding_seconds(const StageWorkload& w, const HardwareProfile& hw) {
  const double stream = residual_stream_elements(w);
  const double looked_up = static_cast<double>(w.layout.micro_batch) * w.shape.seq_len * w.shape.hidden;
  double seconds = operation_seconds(hw, "embedding", looked_up);
  // gpt_forward.cc adds the learned positions' rows to every sequence; their
  // gradient is the sum over the micro-batch (an add's cost, as measured).
  if (w.shape.position == PositionEmbedding::kLearned) seconds += operation_seconds(hw, "residual_add", stream);
  return seconds;
}

double trainer_optimizer_seconds(const HardwareProfile& hw, double parameters, double layer_parameters) {
  return parameters * seconds_per_element(hw, "adamw", layer_parameters);
}

}  // namespace sprout::planner::internal
