// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/gpt_forward.h"

#include <fmt/format.h>

#include <cmath>

namespace sprout::backend {
namespace {

constexpr double kLayerNormEps = 1e-5;

// A row-parallel linear's output (Megatron-LM): the partial products of the
// tensor-parallel ranks are summed, then the (replicated) bias is added once.
torch::Tensor row_parallel_linear(const torch::Tensor& x, const GptModel& m, const std::string& w,
                                  const std::string& b, const ForwardContext& ctx) {
  const bool biased = !b.empty() && m.contains(b);
  if (!ctx.tp.active()) return biased ? at::linear(x, m.get(w), m.get(b)) : at::linear(x, m.get(w));
  torch::Tensor y = reduce_from_tensor_parallel(at::linear(x, m.get(w)), ctx.tp);
  return biased ? y + m.get(b) : y;
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

// This tensor-parallel rank's part of a full-model mask over `local` units
// (the ranks hold contiguous blocks: tensor_sharding.h).
torch::Tensor local_mask(const torch::Tensor& full, int64_t local, const ForwardContext& ctx) {
  if (!ctx.tp.active()) return full;
  return full.narrow(0, ctx.tp.rank * local, local);
}

torch::Tensor attention(const torch::Tensor& x, const GptModel& m, const std::string& p,
                        const torch::Tensor& causal, const GrowthMasks* masks, bool old_layer,
                        const ForwardContext& ctx) {
  const auto& s = m.shape();
  const int64_t D = s.head_dim();
  const auto& wq = m.get(p + "attn.wq");
  const auto& wk = m.get(p + "attn.wk");
  // Heads on this rank (all of them without tensor parallelism).
  const int64_t B = x.size(0), T = x.size(1), H = wq.size(0) / D, KV = wk.size(0) / D;
  // One GEMM for Q, K and V (the weights stay separate parameters, so growth
  // and sharding address each; concatenating them costs a small copy and
  // saves two of three GEMM calls forward and backward at small widths).
  // Column-parallel: the input's gradient is summed over the TP ranks.
  const torch::Tensor in = copy_to_tensor_parallel(x, ctx.tp);
  const bool biased = m.contains(p + "attn.bq");
  std::vector<torch::Tensor> w = {wq, wk, m.get(p + "attn.wv")};
  torch::Tensor qkv = biased ? at::linear(in, at::cat(w), at::cat({m.get(p + "attn.bq"), m.get(p + "attn.bk"),
                                                                   m.get(p + "attn.bv")}))
                             : at::linear(in, at::cat(w));
  auto parts = qkv.split_with_sizes({H * D, KV * D, KV * D}, -1);
  torch::Tensor q = parts[0], k = parts[1], v = parts[2];
  double scale = 1.0 / std::sqrt(static_cast<double>(D));
  if (masks) {
    // MSG head/head-dim masks act on old blocks only: a block inserted by
    // depth growth is bypassed as a whole at m = 0.
    if (old_layer && masks->q.defined()) {
      q = q * local_mask(masks->q, H * D, ctx);
      const torch::Tensor kv_mask = local_mask(masks->kv, KV * D, ctx);
      k = k * kv_mask;
      v = v * kv_mask;
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
  return row_parallel_linear(y, m, p + "attn.wo", p + "attn.bo", ctx);
}

torch::Tensor mlp(const torch::Tensor& x, const GptModel& m, const std::string& p,
                  const GrowthMasks* masks, bool old_layer, const ForwardContext& ctx) {
  const bool masked = masks && old_layer && masks->ffn.defined();
  const torch::Tensor in = copy_to_tensor_parallel(x, ctx.tp);
  if (m.shape().activation == planner::Activation::kGelu) {
    const auto& w1 = m.get(p + "mlp.w1");
    torch::Tensor a = m.contains(p + "mlp.b1") ? at::linear(in, w1, m.get(p + "mlp.b1")) : at::linear(in, w1);
    // MSG masks the new neurons' pre-activation (GELU(0) = 0).
    if (masked) a = a * local_mask(masks->ffn, w1.size(0), ctx);
    return row_parallel_linear(at::gelu(a), m, p + "mlp.w2", p + "mlp.b2", ctx);
  }
  const auto& w_gate = m.get(p + "mlp.w_gate");
  torch::Tensor gate = at::linear(in, w_gate);
  if (masked) gate = gate * local_mask(masks->ffn, w_gate.size(0), ctx);  // silu(0) = 0: as for GELU
  torch::Tensor a = at::silu(gate) * at::linear(in, m.get(p + "mlp.w_up"));
  return row_parallel_linear(a, m, p + "mlp.w_down", "", ctx);
}

// Which vocabulary rows this rank's embedding/output layer holds.
std::pair<int64_t, int64_t> vocab_range(const torch::Tensor& local_rows, const ForwardContext& ctx) {
  const int64_t n = local_rows.size(0);
  return {ctx.tp.rank * n, (ctx.tp.rank + 1) * n};
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

torch::Tensor gpt_embed(const GptModel& m, const torch::Tensor& tokens, const ForwardContext& ctx) {
  const int64_t T = tokens.size(1);
  const auto& wte = m.get("wte");
  torch::Tensor tok;
  if (ctx.tp.active()) {
    // Vocab-parallel embedding (Megatron-LM): a rank looks up the tokens in
    // its rows, zeros for the others; the sum over the ranks is the lookup.
    const auto [begin, end] = vocab_range(wte, ctx);
    const torch::Tensor outside = tokens.lt(begin).logical_or(tokens.ge(end));
    const torch::Tensor local = (tokens - begin).masked_fill(outside, 0);
    tok = reduce_from_tensor_parallel(at::embedding(wte, local).masked_fill(outside.unsqueeze(-1), 0.0), ctx.tp);
  } else {
    tok = at::embedding(wte, tokens);
  }
  return dropout(tok + m.get("wpe").slice(0, 0, T), m.settings().dropout, ctx);
}

torch::Tensor gpt_blocks(const GptModel& m, torch::Tensor x, const LayerRange& layers, const ForwardContext& ctx) {
  const int64_t T = x.size(1);
  const GrowthMasks* masks = ctx.masks;
  const torch::Tensor causal =
      torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
  for (int l = layers.begin; l < layers.end; ++l) {
    const std::string p = fmt::format("h.{}.", l);
    const bool inserted = masks && l < static_cast<int>(masks->new_layer.size()) && masks->new_layer[l];
    torch::Tensor h = x + dropout(attention(norm(x, m, p + "ln1", masks), m, p, causal, masks, !inserted, ctx),
                                  m.settings().dropout, ctx);
    h = h + dropout(mlp(norm(h, m, p + "ln2", masks), m, p, masks, !inserted, ctx), m.settings().dropout, ctx);
    // MSG depth growth: an inserted block is the identity at m = 0.
    x = inserted ? x + (h - x) * masks->value : h;
  }
  return x;
}

torch::Tensor gpt_head_logits(const GptModel& m, const torch::Tensor& x, const ForwardContext& ctx) {
  const torch::Tensor h = copy_to_tensor_parallel(norm(x, m, "ln_f", ctx.masks), ctx.tp);
  return at::linear(h, m.shape().tied_embeddings ? m.get("wte") : m.get("lm_head"));
}

torch::Tensor gpt_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const ForwardContext& ctx) {
  const torch::Tensor flat = logits.reshape({-1, logits.size(-1)}).to(torch::kFloat32);
  const torch::Tensor target = targets.reshape({-1});
  if (!ctx.tp.active()) return at::cross_entropy_loss(flat, target);
  // Vocab-parallel cross-entropy (Megatron-LM, Shoeybi et al. 2019 sec. 3):
  // log sum_v exp(z_v - max) - (z_target - max), where the maximum, the sum
  // of exponentials and the target's logit are each reduced over the ranks
  // holding parts of the vocabulary; gradients stay local.
  const torch::Tensor shifted = flat - max_over_tensor_parallel(std::get<0>(flat.detach().max(-1)), ctx.tp).unsqueeze(-1);
  const torch::Tensor sum_exp = reduce_from_tensor_parallel(shifted.exp().sum(-1), ctx.tp);
  const auto [begin, end] = vocab_range(flat.transpose(0, 1), ctx);
  const torch::Tensor outside = target.lt(begin).logical_or(target.ge(end));
  const torch::Tensor local = (target - begin).masked_fill(outside, 0);
  const torch::Tensor picked = shifted.gather(1, local.unsqueeze(1)).squeeze(1).masked_fill(outside, 0.0);
  return (sum_exp.log() - reduce_from_tensor_parallel(picked, ctx.tp)).mean();
}

torch::Tensor gpt_logits(const GptModel& m, const torch::Tensor& tokens, const ForwardContext& ctx) {
  const torch::Tensor x = gpt_blocks(m, gpt_embed(m, tokens, ctx), {0, m.shape().layers}, ctx);
  return gpt_head_logits(m, x, ctx);
}

torch::Tensor gpt_loss(const GptModel& m, const torch::Tensor& inputs, const torch::Tensor& targets,
                       const ForwardContext& ctx) {
  return gpt_cross_entropy(gpt_logits(m, inputs, ctx), targets, ctx);
}

}  // namespace sprout::backend
