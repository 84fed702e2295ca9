// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/gpt_forward.h"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include <cmath>
#include <tuple>

#include "data/batch_sampler.h"
#include "kernels/causal_attention_cpu.h"
#include "kernels/linear.h"
#include "model/norms.h"
#include "model/positions.h"
#include "step/dropout_mask.h"
#include "step/fused_attention.h"
#include "step/recompute.h"

namespace sprout::backend {
namespace {

// Entering a tensor-parallel region (the input of column-parallel linears):
// Megatron's "f", or with sequence parallelism the all-gather "g".
torch::Tensor enter_tensor_parallel(const torch::Tensor& x, const ForwardContext& ctx) {
  return ctx.tp.splits_sequence() ? gather_from_sequence_parallel(x, ctx.tp) : copy_to_tensor_parallel(x, ctx.tp);
}

// Leaving it (partial sums of the ranks): "g-bar", an all-reduce, or with
// sequence parallelism a reduce-scatter to this rank's positions.
torch::Tensor leave_tensor_parallel(const torch::Tensor& x, const ForwardContext& ctx) {
  return ctx.tp.splits_sequence() ? reduce_scatter_to_sequence_parallel(x, ctx.tp)
                                  : reduce_from_tensor_parallel(x, ctx.tp);
}

// A row-parallel linear's output (Megatron-LM): the partial products of the
// tensor-parallel ranks are summed, then the (replicated) bias is added once.
torch::Tensor row_parallel_linear(const torch::Tensor& x, const GptModel& m, const std::string& w, const std::string& b,
                                  const ForwardContext& ctx) {
  const bool biased = !b.empty() && m.contains(b);
  if (!ctx.tp.active()) return linear_layer(x, m.get(w), biased ? m.get(b) : torch::Tensor());
  torch::Tensor y = leave_tensor_parallel(linear_layer(x, m.get(w)), ctx);
  return biased ? y + m.get(b) : y;
}

// Where a dropout mask applies (its draw does not depend on any other).
uint64_t embedding_site() { return 0; }
uint64_t attention_probs_site(int layer) { return 3 * static_cast<uint64_t>(layer) + 1; }
uint64_t attention_out_site(int layer) { return 3 * static_cast<uint64_t>(layer) + 2; }
uint64_t mlp_out_site(int layer) { return 3 * static_cast<uint64_t>(layer) + 3; }

torch::Tensor apply_keep_mask(const torch::Tensor& x, const torch::Tensor& keep, double p) {
  return x * keep.to(x.scalar_type()) / (1.0 - p);
}

// Dropout on the residual stream [B, T, hidden]: the mask of the full
// sequence, this rank's block of positions under sequence parallelism
// (Philox, drawn on x's device: dropout_mask.h).
torch::Tensor dropout(const torch::Tensor& x, double p, const ForwardContext& ctx, uint64_t site) {
  if (!ctx.training || p <= 0) return x;
  const MaskPlacement where = ctx.tp.splits_sequence()
                                  ? block_along(x.sizes(), 1, ctx.tp.rank * x.size(1), ctx.tp.size * x.size(1))
                                  : whole_tensor(x.numel());
  return apply_keep_mask(x, philox_keep_mask(x.sizes(), where, p, ctx.dropout_seed, site, x.device()), p);
}

// The dropout keep mask of attention probabilities [B, heads here, T, T]
// (undefined without dropout): the mask of the full model's heads, so
// tensor-parallel ranks draw exactly their heads'.
torch::Tensor head_keep_mask(at::IntArrayRef probs_sizes, const at::Device& device, double p, const ForwardContext& ctx,
                             uint64_t site) {
  if (!ctx.training || p <= 0) return {};
  const int64_t H = probs_sizes[1];
  const MaskPlacement where = ctx.tp.active() ? block_along(probs_sizes, 1, ctx.tp.rank * H, ctx.tp.size * H)
                                              : whole_tensor(c10::multiply_integers(probs_sizes));
  return philox_keep_mask(probs_sizes, where, p, ctx.dropout_seed, site, device);
}

// The model's norm (LayerNorm or RMSNorm: norms.h), masked during an MSG
// ramp that grew the hidden size.
torch::Tensor norm(const torch::Tensor& x, const GptModel& m, const std::string& prefix, const GrowthMasks* masks) {
  const auto& w = m.get(prefix + ".weight");
  const bool masked = masks && masks->hidden.defined();
  if (m.shape().norm == planner::Norm::kRmsNorm) return masked ? masked_rms_norm(x, w, masks->hidden) : rms_norm(x, w);
  const auto& b = m.get(prefix + ".bias");
  return masked ? masked_layer_norm(x, w, b, masks->hidden) : layer_norm(x, w, b);
}

// This tensor-parallel rank's part of a full-model mask over `local` units
// (the ranks hold contiguous blocks: tensor_sharding.h).
torch::Tensor local_mask(const torch::Tensor& full, int64_t local, const ForwardContext& ctx) {
  if (!ctx.tp.active()) return full;
  return full.narrow(0, ctx.tp.rank * local, local);
}

// What the attention core reads: q, k, v [B, heads here, T, D] (key/value
// heads already repeated for GQA) and how to combine them.
struct AttentionCoreInputs {
  torch::Tensor q, k, v;
  double scale = 1;
  torch::Tensor causal;  // [T, T], true above the diagonal
  double dropout = 0;
  int layer = 0;
};

// The attention core, the part selective recomputation re-runs (Korthikanti
// et al. 2022 sec. 5): QK^T, scale, causal mask, softmax, dropout, x V ->
// [B, heads here, T, D]. `attention: flash` runs it as one fused kernel
// (without dropout: check_attention_kernels).
torch::Tensor attention_core(const AttentionCoreInputs& in, const ForwardContext& ctx) {
  if (ctx.attention == planner::AttentionKernel::kFlash) return fused_causal_attention(in.q, in.k, in.v, in.scale);
  const int64_t T = in.q.size(2);
  const std::vector<int64_t> probs_sizes = {in.q.size(0), in.q.size(1), T, T};
  const torch::Tensor keep =
      head_keep_mask(probs_sizes, in.q.device(), in.dropout, ctx, attention_probs_site(in.layer));
  // fp32 on the CPU: the same attention fused per head (the same masks).
  if (cpu_causal_attention_applies(in.q)) return cpu_causal_attention(in.q, in.k, in.v, in.scale, keep, in.dropout);
  torch::Tensor scores = at::matmul(in.q, in.k.transpose(-2, -1)).mul_(in.scale);
  scores.masked_fill_(in.causal, -std::numeric_limits<float>::infinity());
  torch::Tensor probs = at::softmax(scores, -1);
  if (keep.defined()) probs = apply_keep_mask(probs, keep, in.dropout);
  return at::matmul(probs, in.v);
}

// The core, kept for the backward pass or (selective recomputation, when
// gradients are on) re-run there from q, k and v. A fused kernel recomputes
// inside its own backward already.
torch::Tensor recomputable_attention_core(const AttentionCoreInputs& in, const ForwardContext& ctx) {
  if (ctx.recompute != planner::Recompute::kSelective || ctx.attention == planner::AttentionKernel::kFlash ||
      !at::GradMode::is_enabled()) {
    return attention_core(in, ctx);
  }
  AttentionCoreInputs rest = in;  // what the re-run takes besides q, k, v
  rest.q = rest.k = rest.v = torch::Tensor();
  const ForwardPiece core = [rest, ctx](const std::vector<torch::Tensor>& qkv) {
    AttentionCoreInputs again = rest;
    again.q = qkv[0];
    again.k = qkv[1];
    again.v = qkv[2];
    return std::vector<torch::Tensor>{attention_core(again, ctx)};
  };
  return run_recomputed(core, {in.q, in.k, in.v}, {})[0];
}

torch::Tensor attention(const torch::Tensor& x, const GptModel& m, int layer, const torch::Tensor& causal,
                        const GrowthMasks* masks, bool old_layer, const ForwardContext& ctx) {
  const std::string p = fmt::format("h.{}.", layer);
  const auto& s = m.shape();
  const int64_t D = s.head_dim();
  const auto& wq = m.get(p + "attn.wq");
  const auto& wk = m.get(p + "attn.wk");
  // One GEMM for Q, K and V (the weights stay separate parameters, so growth
  // and sharding address each; concatenating them costs a small copy and
  // saves two of three GEMM calls forward and backward at small widths).
  // Column-parallel: the input's gradient is summed over the TP ranks.
  const torch::Tensor in = enter_tensor_parallel(x, ctx);
  // Heads on this rank (all of them without tensor parallelism).
  const int64_t B = in.size(0), T = in.size(1), H = wq.size(0) / D, KV = wk.size(0) / D;
  const bool biased = m.contains(p + "attn.bq");
  std::vector<torch::Tensor> w = {wq, wk, m.get(p + "attn.wv")};
  torch::Tensor qkv = linear_layer(
      in, at::cat(w),
      biased ? at::cat({m.get(p + "attn.bq"), m.get(p + "attn.bk"), m.get(p + "attn.bv")}) : torch::Tensor());
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
  // Rotary/xPos (positions.h): every rank sees all T positions here (the
  // sequence-parallel input was gathered), token t at position t.
  std::tie(q, k) = apply_positions(s.position, q, k);
  if (KV != H) {  // GQA: query head i reads key/value group i / (H / KV)
    k = k.repeat_interleave(H / KV, 1);
    v = v.repeat_interleave(H / KV, 1);
  }
  const torch::Tensor y =
      recomputable_attention_core({q, k, v, scale, causal, m.settings().dropout, layer}, ctx).transpose(1, 2);
  return row_parallel_linear(y.reshape({B, T, H * D}), m, p + "attn.wo", p + "attn.bo", ctx);
}

torch::Tensor mlp(const torch::Tensor& x, const GptModel& m, const std::string& p, const GrowthMasks* masks,
                  bool old_layer, const ForwardContext& ctx) {
  const bool masked = masks && old_layer && masks->ffn.defined();
  const torch::Tensor in = enter_tensor_parallel(x, ctx);
  if (m.shape().activation == planner::Activation::kGelu) {
    const auto& w1 = m.get(p + "mlp.w1");
    torch::Tensor a = linear_layer(in, w1, m.contains(p + "mlp.b1") ? m.get(p + "mlp.b1") : torch::Tensor());
    // MSG masks the new neurons' pre-activation (GELU(0) = 0).
    if (masked) a = a * local_mask(masks->ffn, w1.size(0), ctx);
    return row_parallel_linear(at::gelu(a), m, p + "mlp.w2", p + "mlp.b2", ctx);
  }
  const auto& w_gate = m.get(p + "mlp.w_gate");
  torch::Tensor gate = linear_layer(in, w_gate);
  if (masked) gate = gate * local_mask(masks->ffn, w_gate.size(0), ctx);  // silu(0) = 0: as for GELU
  torch::Tensor a = at::silu(gate) * linear_layer(in, m.get(p + "mlp.w_up"));
  return row_parallel_linear(a, m, p + "mlp.w_down", "", ctx);
}

// Block `layer` (pre-LN) applied to the residual stream x.
torch::Tensor block(const GptModel& m, const torch::Tensor& x, int layer, const torch::Tensor& causal,
                    const ForwardContext& ctx) {
  const std::string p = fmt::format("h.{}.", layer);
  const GrowthMasks* masks = ctx.masks;
  const bool inserted = masks && layer < static_cast<int>(masks->new_layer.size()) && masks->new_layer[layer];
  const double rate = m.settings().dropout;
  torch::Tensor h = x + dropout(attention(norm(x, m, p + "ln1", masks), m, layer, causal, masks, !inserted, ctx), rate,
                                ctx, attention_out_site(layer));
  h = h + dropout(mlp(norm(h, m, p + "ln2", masks), m, p, masks, !inserted, ctx), rate, ctx, mlp_out_site(layer));
  // MSG depth growth: an inserted block is the identity at m = 0.
  return inserted ? x + (h - x) * masks->value : h;
}

// The parameters of block `layer` (those a recomputed block's gradients go to).
std::vector<torch::Tensor> block_parameters(const GptModel& m, int layer) {
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m.specs()[i].layer == layer) out.push_back(m.parameters()[i]);
  }
  return out;
}

// Which vocabulary rows this rank's embedding/output layer holds.
std::pair<int64_t, int64_t> vocab_range(const torch::Tensor& local_rows, const ForwardContext& ctx) {
  const int64_t n = local_rows.size(0);
  return {ctx.tp.rank * n, (ctx.tp.rank + 1) * n};
}

}  // namespace

torch::Tensor gpt_embed(const GptModel& m, const torch::Tensor& tokens, const ForwardContext& ctx) {
  const auto& wte = m.get("wte");
  torch::Tensor tok;
  if (ctx.tp.active()) {
    // Vocab-parallel embedding (Megatron-LM): a rank looks up the tokens in
    // its rows, zeros for the others; the sum over the ranks is the lookup.
    const auto [begin, end] = vocab_range(wte, ctx);
    const torch::Tensor outside = tokens.lt(begin).logical_or(tokens.ge(end));
    const torch::Tensor local = (tokens - begin).masked_fill(outside, 0);
    tok = leave_tensor_parallel(at::embedding(wte, local).masked_fill(outside.unsqueeze(-1), 0.0), ctx);
  } else {
    tok = at::embedding(wte, tokens);
  }
  // Learned positions: this rank's rows of wpe (all of them, or its block
  // under sequence parallelism). Rotary/xPos act in attention instead.
  if (m.shape().position == planner::PositionEmbedding::kLearned) {
    const int64_t first_position = ctx.tp.splits_sequence() ? ctx.tp.rank * tok.size(1) : 0;
    tok = tok + m.get("wpe").slice(0, first_position, first_position + tok.size(1));
  }
  return dropout(tok, m.settings().dropout, ctx, embedding_site());
}

torch::Tensor gpt_blocks(const GptModel& m, torch::Tensor x, const LayerRange& layers, const ForwardContext& ctx) {
  const int64_t T = x.size(1) * (ctx.tp.splits_sequence() ? ctx.tp.size : 1);
  const torch::Tensor causal =
      torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
  // Full recomputation: each block keeps only its input and runs again in
  // the backward pass (the same ops in the same order: the same values).
  const bool recompute_blocks = ctx.recompute == planner::Recompute::kFull && at::GradMode::is_enabled();
  for (int l = layers.begin; l < layers.end; ++l) {
    if (!recompute_blocks) {
      x = block(m, x, l, causal, ctx);
      continue;
    }
    const ForwardPiece piece = [&m, l, causal, ctx](const std::vector<torch::Tensor>& in) {
      return std::vector<torch::Tensor>{block(m, in[0], l, causal, ctx)};
    };
    x = run_recomputed(piece, {x}, block_parameters(m, l))[0];
  }
  return x;
}

torch::Tensor gpt_head_logits(const GptModel& m, const torch::Tensor& x, const ForwardContext& ctx) {
  const torch::Tensor h = enter_tensor_parallel(norm(x, m, "ln_f", ctx.masks), ctx);
  return linear_layer(h, m.shape().tied_embeddings ? m.get("wte") : m.get("lm_head"));
}

torch::Tensor gpt_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const ForwardContext& ctx) {
  const torch::Tensor flat = logits.reshape({-1, logits.size(-1)}).to(torch::kFloat32);
  const torch::Tensor target = targets.reshape({-1});
  if (!ctx.tp.active()) return at::cross_entropy_loss(flat, target);
  // Vocab-parallel cross-entropy (Megatron-LM, Shoeybi et al. 2019 sec. 3):
  // log sum_v exp(z_v - max) - (z_target - max), where the maximum, the sum
  // of exponentials and the target's logit are each reduced over the ranks
  // holding parts of the vocabulary; gradients stay local.
  const torch::Tensor shifted =
      flat - max_over_tensor_parallel(std::get<0>(flat.detach().max(-1)), ctx.tp).unsqueeze(-1);
  const torch::Tensor sum_exp = reduce_from_tensor_parallel(shifted.exp().sum(-1), ctx.tp);
  const auto [begin, end] = vocab_range(flat.transpose(0, 1), ctx);
  const torch::Tensor outside = target.lt(begin).logical_or(target.ge(end));
  const torch::Tensor local = (target - begin).masked_fill(outside, 0);
  const torch::Tensor picked = shifted.gather(1, local.unsqueeze(1)).squeeze(1).masked_fill(outside, 0.0);
  // Targets the batch masks (kIgnoredTarget) are left out of the mean, as
  // at::cross_entropy_loss leaves them out above.
  const torch::Tensor per_token = sum_exp.log() - reduce_from_tensor_parallel(picked, ctx.tp);
  return per_token.masked_select(target.ne(kIgnoredTarget)).mean();
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
