// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/gpt_forward.h"

#include <fmt/format.h>

#include <cmath>

namespace sprout::backend {
namespace {

constexpr double kLayerNormEps = 1e-5;

torch::Tensor linear(const torch::Tensor& x, const GptModel& m, const std::string& w,
                     const std::string& b) {
  if (m.contains(b)) return at::linear(x, m.get(w), m.get(b));
  return at::linear(x, m.get(w));
}

torch::Tensor dropout(const torch::Tensor& x, double p, const ForwardContext& ctx) {
  if (!ctx.training || p <= 0) return x;
  // Explicit CPU generator (not the global one) so the run checkpoints it
  // and a CUDA run draws the same masks as a CPU run.
  auto keep = at::empty(x.sizes(), x.options().device(torch::kCPU))
                  .bernoulli_(1.0 - p, ctx.generator ? *ctx.generator : c10::optional<at::Generator>());
  return x * keep.to(x.device()) / (1.0 - p);
}

torch::Tensor norm(const torch::Tensor& x, const GptModel& m, const std::string& prefix,
                   const GrowthMasks* masks) {
  const auto& w = m.get(prefix + ".weight");
  const auto& b = m.get(prefix + ".bias");
  if (masks && masks->hidden.defined()) return masked_layer_norm(x, w, b, masks->hidden);
  return at::layer_norm(x, {x.size(-1)}, w, b, kLayerNormEps);
}

torch::Tensor attention(const torch::Tensor& x, const GptModel& m, const std::string& p,
                        const torch::Tensor& causal, const GrowthMasks* masks, bool old_layer,
                        const ForwardContext& ctx) {
  const auto& s = m.shape();
  const int64_t B = x.size(0), T = x.size(1), H = s.heads, KV = s.kv_heads, D = s.head_dim();
  // One GEMM for Q, K and V (the weights stay separate parameters, so growth
  // and sharding address each; concatenating them costs a small copy and
  // saves two of three GEMM calls forward and backward at small widths).
  const bool biased = m.contains(p + "attn.bq");
  std::vector<torch::Tensor> w = {m.get(p + "attn.wq"), m.get(p + "attn.wk"), m.get(p + "attn.wv")};
  torch::Tensor qkv = biased ? at::linear(x, at::cat(w), at::cat({m.get(p + "attn.bq"), m.get(p + "attn.bk"),
                                                                  m.get(p + "attn.bv")}))
                             : at::linear(x, at::cat(w));
  auto parts = qkv.split_with_sizes({H * D, KV * D, KV * D}, -1);
  torch::Tensor q = parts[0], k = parts[1], v = parts[2];
  double scale = 1.0 / std::sqrt(static_cast<double>(D));
  if (masks) {
    // MSG head/head-dim masks act on old blocks only: a block inserted by
    // depth growth is bypassed as a whole at m = 0.
    if (old_layer && masks->q.defined()) {
      q = q * masks->q;
      k = k * masks->kv;
      v = v * masks->kv;
    }
    scale = masks->attention_scale;
  }
  q = q.view({B, T, H, D}).transpose(1, 2);
  k = k.view({B, T, KV, D}).transpose(1, 2);
  v = v.view({B, T, KV, D}).transpose(1, 2);
  if (KV != H) {  // GQA: query head i reads key/value group i / (H / KV)
    k = k.repeat_interleave(H / KV, 1);
    v = v.repeat_interleave(H / KV, 1);
  }
  torch::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
  scores.masked_fill_(causal, -std::numeric_limits<float>::infinity());
  torch::Tensor probs = dropout(at::softmax(scores, -1), m.settings().dropout, ctx);
  torch::Tensor y = at::matmul(probs, v).transpose(1, 2).reshape({B, T, H * D});
  return linear(y, m, p + "attn.wo", p + "attn.bo");
}

torch::Tensor mlp(const torch::Tensor& x, const GptModel& m, const std::string& p,
                  const GrowthMasks* masks, bool old_layer) {
  const bool masked = masks && old_layer && masks->ffn.defined();
  if (m.shape().activation == planner::Activation::kGelu) {
    torch::Tensor a = linear(x, m, p + "mlp.w1", p + "mlp.b1");
    // MSG masks the new neurons' pre-activation (GELU(0) = 0).
    if (masked) a = a * masks->ffn;
    return linear(at::gelu(a), m, p + "mlp.w2", p + "mlp.b2");
  }
  torch::Tensor gate = at::linear(x, m.get(p + "mlp.w_gate"));
  if (masked) gate = gate * masks->ffn;  // silu(0) = 0: the same place as for GELU
  torch::Tensor a = at::silu(gate) * at::linear(x, m.get(p + "mlp.w_up"));
  return at::linear(a, m.get(p + "mlp.w_down"));
}

}  // namespace

torch::Tensor masked_layer_norm(const torch::Tensor& x, const torch::Tensor& weight,
                                const torch::Tensor& bias, const torch::Tensor& c) {
  const torch::Tensor total = c.sum();
  const torch::Tensor mean = (x * c).sum(-1, true) / total;
  const torch::Tensor centered = x - mean;
  const torch::Tensor var = (centered * centered * c).sum(-1, true) / total;
  return (centered * at::rsqrt(var + kLayerNormEps) * weight + bias) * c;
}

torch::Tensor gpt_logits(const GptModel& m, const torch::Tensor& tokens, const ForwardContext& ctx) {
  const auto& s = m.shape();
  const int64_t T = tokens.size(1);
  const GrowthMasks* masks = ctx.masks;
  torch::Tensor x = at::embedding(m.get("wte"), tokens) + m.get("wpe").slice(0, 0, T);
  x = dropout(x, m.settings().dropout, ctx);
  const torch::Tensor causal =
      torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(tokens.device())).triu(1);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = fmt::format("h.{}.", l);
    const bool inserted = masks && l < static_cast<int>(masks->new_layer.size()) && masks->new_layer[l];
    torch::Tensor h = x + dropout(attention(norm(x, m, p + "ln1", masks), m, p, causal, masks, !inserted, ctx),
                                  m.settings().dropout, ctx);
    h = h + dropout(mlp(norm(h, m, p + "ln2", masks), m, p, masks, !inserted), m.settings().dropout, ctx);
    // MSG depth growth: an inserted block is the identity at m = 0.
    x = inserted ? x + (h - x) * masks->value : h;
  }
  x = norm(x, m, "ln_f", masks);
  return at::linear(x, s.tied_embeddings ? m.get("wte") : m.get("lm_head"));
}

torch::Tensor gpt_loss(const GptModel& m, const torch::Tensor& inputs, const torch::Tensor& targets,
                       const ForwardContext& ctx) {
  torch::Tensor logits = gpt_logits(m, inputs, ctx);
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}).to(torch::kFloat32),
                                targets.reshape({-1}));
}

}  // namespace sprout::backend
