// SPDX-License-Identifier: GPL-3.0-or-later
// Key names as transformers' models/gpt2 and models/llama define them; the
// LlamaConfig keys and defaults checked against huggingface/transformers
// commit 008e574391258935f3ecc3035c882e73bbcac419,
// src/transformers/models/llama/configuration_llama.py: there rope_theta
// lives in rope_parameters (older releases: a top-level rope_theta, so both
// are written), tie_word_embeddings defaults to false and head_dim to
// hidden_size / num_attention_heads.
#include "export/hf_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "model/norms.h"
#include "model/parameter_layout.h"
#include "model/positions.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

using planner::Activation;
using planner::ModelShape;
using planner::Norm;
using planner::PositionEmbedding;

class RuleList {
 public:
  explicit RuleList(const ModelShape& s) : shape_(s) {
    for (auto& spec : gpt_parameter_specs(s)) specs_.emplace(spec.name, std::move(spec));
  }
  // hf_name = cat(parts, 0), transposed when `transposed`.
  void add(std::string hf_name, std::vector<std::string> parts, bool transposed = false) {
    std::vector<int64_t> shape = storage_sizes(specs_.at(parts.front()), shape_);
    for (size_t i = 1; i < parts.size(); ++i) shape[0] += storage_sizes(specs_.at(parts[i]), shape_)[0];
    if (transposed) std::swap(shape[0], shape[1]);
    rules_.push_back({std::move(hf_name), std::move(parts), transposed, std::move(shape)});
  }
  std::vector<HfTensorRule> take() { return std::move(rules_); }

 private:
  ModelShape shape_;
  std::map<std::string, ParameterSpec> specs_;
  std::vector<HfTensorRule> rules_;
};

void gpt2_rules(RuleList& r, const ModelShape& s) {
  r.add("transformer.wte.weight", {"wte"});
  r.add("transformer.wpe.weight", {"wpe"});
  for (int l = 0; l < s.layers; ++l) {
    const std::string src = fmt::format("h.{}.", l), dst = fmt::format("transformer.h.{}.", l);
    r.add(dst + "ln_1.weight", {src + "ln1.weight"});
    r.add(dst + "ln_1.bias", {src + "ln1.bias"});
    r.add(dst + "attn.c_attn.weight", {src + "attn.wq", src + "attn.wk", src + "attn.wv"}, true);
    r.add(dst + "attn.c_attn.bias", {src + "attn.bq", src + "attn.bk", src + "attn.bv"});
    r.add(dst + "attn.c_proj.weight", {src + "attn.wo"}, true);
    r.add(dst + "attn.c_proj.bias", {src + "attn.bo"});
    r.add(dst + "ln_2.weight", {src + "ln2.weight"});
    r.add(dst + "ln_2.bias", {src + "ln2.bias"});
    r.add(dst + "mlp.c_fc.weight", {src + "mlp.w1"}, true);
    r.add(dst + "mlp.c_fc.bias", {src + "mlp.b1"});
    r.add(dst + "mlp.c_proj.weight", {src + "mlp.w2"}, true);
    r.add(dst + "mlp.c_proj.bias", {src + "mlp.b2"});
  }
  r.add("transformer.ln_f.weight", {"ln_f.weight"});
  r.add("transformer.ln_f.bias", {"ln_f.bias"});
}

// nn.Linear weights are [out, in] as sprout stores them; rotary pairs are
// (i, i + d/2) in both (positions.h), so no row permutation.
void llama_rules(RuleList& r, const ModelShape& s) {
  r.add("model.embed_tokens.weight", {"wte"});
  for (int l = 0; l < s.layers; ++l) {
    const std::string src = fmt::format("h.{}.", l), dst = fmt::format("model.layers.{}.", l);
    r.add(dst + "input_layernorm.weight", {src + "ln1.weight"});
    r.add(dst + "self_attn.q_proj.weight", {src + "attn.wq"});
    r.add(dst + "self_attn.k_proj.weight", {src + "attn.wk"});
    r.add(dst + "self_attn.v_proj.weight", {src + "attn.wv"});
    r.add(dst + "self_attn.o_proj.weight", {src + "attn.wo"});
    r.add(dst + "post_attention_layernorm.weight", {src + "ln2.weight"});
    r.add(dst + "mlp.gate_proj.weight", {src + "mlp.w_gate"});
    r.add(dst + "mlp.up_proj.weight", {src + "mlp.w_up"});
    r.add(dst + "mlp.down_proj.weight", {src + "mlp.w_down"});
  }
  r.add("model.norm.weight", {"ln_f.weight"});
}

template <typename T>
T config_value(const nlohmann::json& c, const std::string& key, const std::string& path) {
  if (!c.contains(key)) planner::throw_file_error(path, key, "missing");
  try {
    return c.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    planner::throw_file_error(path, key, "has the wrong type: " + c.at(key).dump());
  }
}

void require_close(double value, double expected, const std::string& key, const std::string& path) {
  if (std::abs(value - expected) > 1e-12 * std::max(1.0, std::abs(expected))) {
    planner::throw_file_error(path, key, fmt::format("{} differs from sprout's {}", value, expected));
  }
}

ModelShape gpt2_shape(const nlohmann::json& c, const std::string& path) {
  ModelShape s;
  s.layers = config_value<int>(c, "n_layer", path);
  s.hidden = config_value<int>(c, "n_embd", path);
  s.heads = s.kv_heads = config_value<int>(c, "n_head", path);
  s.ffn_hidden =
      c.contains("n_inner") && !c["n_inner"].is_null() ? config_value<int>(c, "n_inner", path) : 4 * s.hidden;
  s.vocab = config_value<int>(c, "vocab_size", path);
  s.seq_len = config_value<int>(c, "n_positions", path);
  const auto act = config_value<std::string>(c, "activation_function", path);
  if (act != "gelu")
    planner::throw_file_error(path, "activation_function", act + ": sprout's GELU is the exact (erf) \"gelu\"");
  require_close(config_value<double>(c, "layer_norm_epsilon", path), kNormEps, "layer_norm_epsilon", path);
  s.activation = Activation::kGelu;
  s.position = PositionEmbedding::kLearned;
  s.norm = Norm::kLayerNorm;
  return s;
}

ModelShape llama_shape(const nlohmann::json& c, const std::string& path) {
  ModelShape s;
  s.layers = config_value<int>(c, "num_hidden_layers", path);
  s.hidden = config_value<int>(c, "hidden_size", path);
  s.heads = config_value<int>(c, "num_attention_heads", path);
  s.kv_heads = c.contains("num_key_value_heads") ? config_value<int>(c, "num_key_value_heads", path) : s.heads;
  s.ffn_hidden = config_value<int>(c, "intermediate_size", path);
  s.vocab = config_value<int>(c, "vocab_size", path);
  s.seq_len = config_value<int>(c, "max_position_embeddings", path);
  if (s.heads <= 0 || s.hidden % s.heads != 0)
    planner::throw_file_error(path, "num_attention_heads", "does not divide hidden_size");
  if (c.contains("head_dim") && !c["head_dim"].is_null() && config_value<int>(c, "head_dim", path) != s.head_dim()) {
    planner::throw_file_error(path, "head_dim", "differs from hidden_size / num_attention_heads, which sprout assumes");
  }
  const auto act = config_value<std::string>(c, "hidden_act", path);
  if (act != "silu") planner::throw_file_error(path, "hidden_act", act + ": sprout's SwiGLU gates with silu");
  require_close(config_value<double>(c, "rms_norm_eps", path), kNormEps, "rms_norm_eps", path);
  if (c.contains("rope_theta"))
    require_close(config_value<double>(c, "rope_theta", path), kRotaryBase, "rope_theta", path);
  if (c.contains("rope_parameters") && !c["rope_parameters"].is_null()) {
    const auto& rope = c["rope_parameters"];
    if (!rope.is_object()) planner::throw_file_error(path, "rope_parameters", "not an object");
    if (rope.contains("rope_type") && rope["rope_type"] != "default") {
      planner::throw_file_error(path, "rope_parameters.rope_type",
                                rope["rope_type"].dump() + ": sprout's rotary is the default RoPE");
    }
    if (rope.contains("rope_theta")) {
      require_close(config_value<double>(rope, "rope_theta", path), kRotaryBase, "rope_parameters.rope_theta", path);
    }
  }
  if (c.contains("rope_scaling") && !c["rope_scaling"].is_null())
    planner::throw_file_error(path, "rope_scaling", "not supported");
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    if (c.contains(key) && config_value<bool>(c, key, path))
      planner::throw_file_error(path, key, "true: sprout's SwiGLU blocks have no biases");
  }
  s.activation = Activation::kSwiglu;
  s.position = PositionEmbedding::kRotary;
  s.norm = Norm::kRmsNorm;
  return s;
}

}  // namespace

HfLayout hf_layout_of(const ModelShape& s, const std::string& source) {
  if (s.position == PositionEmbedding::kXpos) {
    planner::throw_file_error(source, "model",
                              "xPos has no Hugging Face layout (Llama's rotary has no xPos scale): not exported");
  }
  if (s.position == PositionEmbedding::kLearned && s.norm == Norm::kLayerNorm && s.activation == Activation::kGelu) {
    if (s.kv_heads != s.heads)
      planner::throw_file_error(source, "model", "GPT-2 has no grouped-query attention (kv_heads < heads)");
    return HfLayout::kGpt2;
  }
  if (s.position == PositionEmbedding::kRotary && s.norm == Norm::kRmsNorm && s.activation == Activation::kSwiglu) {
    return HfLayout::kLlama;
  }
  planner::throw_file_error(
      source, "model",
      "fits neither Hugging Face layout: GPT-2 needs learned positions, LayerNorm and GELU; Llama needs rotary, "
      "RMSNorm and SwiGLU");
}

std::vector<HfTensorRule> hf_tensor_rules(HfLayout layout, const ModelShape& s) {
  RuleList r(s);
  if (layout == HfLayout::kGpt2) {
    gpt2_rules(r, s);
  } else {
    llama_rules(r, s);
  }
  if (!s.tied_embeddings) r.add("lm_head.weight", {"lm_head"});
  return r.take();
}

nlohmann::ordered_json hf_config(HfLayout layout, const ModelShape& s) {
  nlohmann::ordered_json c;
  if (layout == HfLayout::kGpt2) {
    c = {{"architectures", {"GPT2LMHeadModel"}},
         {"model_type", "gpt2"},
         {"vocab_size", s.vocab},
         {"n_positions", s.seq_len},
         {"n_ctx", s.seq_len},
         {"n_embd", s.hidden},
         {"n_layer", s.layers},
         {"n_head", s.heads},
         {"n_inner", s.ffn_hidden},
         // sprout's GELU is the exact erf form (at::gelu), not GPT-2's tanh "gelu_new".
         {"activation_function", "gelu"},
         {"layer_norm_epsilon", kNormEps},
         {"scale_attn_weights", true},
         {"resid_pdrop", 0.0},
         {"embd_pdrop", 0.0},
         {"attn_pdrop", 0.0}};
  } else {
    c = {{"architectures", {"LlamaForCausalLM"}},
         {"model_type", "llama"},
         {"vocab_size", s.vocab},
         {"hidden_size", s.hidden},
         {"intermediate_size", s.ffn_hidden},
         {"num_hidden_layers", s.layers},
         {"num_attention_heads", s.heads},
         {"num_key_value_heads", s.kv_heads},
         {"head_dim", s.head_dim()},
         {"hidden_act", "silu"},
         {"max_position_embeddings", s.seq_len},
         {"rms_norm_eps", kNormEps},
         {"rope_theta", kRotaryBase},
         {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", kRotaryBase}}},
         {"attention_bias", false},
         {"mlp_bias", false}};
  }
  c["tie_word_embeddings"] = s.tied_embeddings;
  c["torch_dtype"] = "float32";
  return c;
}

ModelShape shape_from_hf_config(const nlohmann::json& c, const std::string& path) {
  if (!c.is_object()) planner::throw_file_error(path, "config", "not a JSON object");
  const auto type = config_value<std::string>(c, "model_type", path);
  ModelShape s;
  if (type == "gpt2") {
    s = gpt2_shape(c, path);
  } else if (type == "llama") {
    s = llama_shape(c, path);
  } else {
    planner::throw_file_error(path, "model_type", type + ": sprout reads gpt2 and llama");
  }
  // Absent: GPT2Config ties (PreTrainedConfig's default), LlamaConfig does not.
  s.tied_embeddings =
      c.contains("tie_word_embeddings") ? config_value<bool>(c, "tie_word_embeddings", path) : type == "gpt2";
  return s;
}

}  // namespace sprout::backend
