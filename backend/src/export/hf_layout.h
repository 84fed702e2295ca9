// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face naming of sprout's parameters (docs/backend.md "Export"): the
// GPT-2 layout (transformers' GPT2LMHeadModel) for learned positions,
// LayerNorm and GELU, the Llama layout (LlamaForCausalLM) for rotary, RMSNorm
// and SwiGLU (GQA allowed). Each Hugging Face tensor is sprout tensors
// concatenated along their first axis, transposed for GPT-2's Conv1D ([in,
// out]); the same rules read a Hugging Face model back (init_from).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

enum class HfLayout { kGpt2, kLlama };

// The layout `shape` exports to; throws planner::InputError (file `source`,
// field "model") with a one-line reason when it fits neither: xPos (no
// Hugging Face model has its scale), GQA under GPT-2, or a mix such as
// learned positions with RMSNorm.
HfLayout hf_layout_of(const planner::ModelShape& shape, const std::string& source);

struct HfTensorRule {
  std::string hf_name;
  std::vector<std::string> sprout_parts;  // concatenated along axis 0 (GPT-2's c_attn: Q | K | V)
  bool transposed = false;                // Conv1D weights are [in, out]
  std::vector<int64_t> hf_shape;
};

// Every Hugging Face tensor of `shape` in `layout`, in the file's order.
std::vector<HfTensorRule> hf_tensor_rules(HfLayout layout, const planner::ModelShape& shape);

// config.json for `shape` in `layout`.
nlohmann::ordered_json hf_config(HfLayout layout, const planner::ModelShape& shape);

// The sprout shape a config.json describes (model_type gpt2 or llama);
// throws planner::InputError naming `path` and the key that is missing, of
// the wrong type, or describes something sprout cannot express.
planner::ModelShape shape_from_hf_config(const nlohmann::json& config, const std::string& path);

}  // namespace sprout::backend
