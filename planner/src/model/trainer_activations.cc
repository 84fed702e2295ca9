// SPDX-License-Identifier: GPL-3.0-or-later
// Notation as docs/formulas.md: s sequence, b micro-batch, h hidden, a
// heads, f FFN width, V vocabulary, t tensor-parallel ranks; "sp" divides
// what sequence parallelism splits (t with it, else 1).
#include "trainer_activations.h"

#include <algorithm>

namespace sprout::planner {
namespace {

// Bytes per element of each kind of kept tensor.
struct ElementBytes {
  double residual;  // the residual stream, which the LayerNorms keep (fp32 under autocast too)
  double gemm;      // GEMM inputs and the activations between GEMMs (autocast: bf16 copies)
  double mask;      // dropout keep masks, drawn as fp32 (autocast: their bf16 copies)
  double weights;   // per-layer weight copies the GEMMs keep (autocast: every weight's bf16 copy)
};

ElementBytes element_bytes(bool bf16) { return bf16 ? ElementBytes{4, 2, 2, 2} : ElementBytes{4, 4, 4, 4}; }

struct LayerSizes {
  double sb, sbh, t, sp;
  double score_elements;  // a s^2 b: attention probabilities of all heads
};

LayerSizes layer_sizes(const ModelShape& s, const ParallelLayout& p) {
  const double sb = static_cast<double>(s.seq_len) * p.micro_batch;
  return {sb, sb * s.hidden, static_cast<double>(p.tp), p.sequence_parallel ? static_cast<double>(p.tp) : 1.0,
          static_cast<double>(s.heads) * s.seq_len * sb};
}

// Elements of the MLP's kept activations per token: GELU keeps its input and
// output (2f), SwiGLU the gate, silu(gate), the up projection and their
// product (4f).
double mlp_elements_per_token(const ModelShape& s) {
  return (s.activation == Activation::kSwiglu ? 4.0 : 2.0) * s.ffn_hidden;
}

// sprout-train's fp32 attention core on the CPU is its fused kernel
// (backend/src/kernels/causal_attention_cpu.h): it keeps the probabilities
// (and the keep mask the dropout draws), no dropped copy, and its backward
// makes no s^2 temporaries; bf16 autocast runs the unfused core.
bool fused_cpu_core(AttentionKernel attention, bool bf16) { return attention == AttentionKernel::kStandard && !bf16; }

// The bytes of the s^2 terms: the softmax output, with dropout also its
// keep mask and (unfused) the dropped probabilities x V reads; none for a
// flash kernel.
double score_bytes(const LayerSizes& z, AttentionKernel attention, double dropout, bool bf16) {
  if (attention != AttentionKernel::kStandard) return 0;
  const ElementBytes e = element_bytes(bf16);
  const double dropped = fused_cpu_core(attention, bf16) ? 0 : e.gemm;
  const double per_element = dropout > 0 ? e.gemm + dropped + e.mask : e.gemm;
  return z.score_elements * per_element / z.t;
}

// Per-layer weight copies: the QKV projections concatenated into one GEMM
// (fp32: a copy of their weights); under autocast the bf16 copy of every
// weight the layer's GEMMs read.
double weight_copy_bytes(const ModelShape& s, const ParallelLayout& p, bool bf16, const ElementBytes& e) {
  const double h = s.hidden;
  const double qkv = h * (h + 2.0 * s.kv_heads * s.head_dim());
  const double rest = bf16 ? h * h + (s.activation == Activation::kSwiglu ? 3.0 : 2.0) * h * s.ffn_hidden : 0;
  return (qkv + rest) * e.weights / p.tp;
}

// Everything a layer keeps without recomputation, but its s^2 terms.
double layer_bytes_but_scores(const ModelShape& s, const ParallelLayout& p, double dropout, bool bf16) {
  const ElementBytes e = element_bytes(bf16);
  const LayerSizes z = layer_sizes(s, p);
  // LayerNorm inputs x and h (and each norm's mean and 1/std per token).
  const double norms = (2 * z.sbh + 4 * z.sb) * e.residual / z.sp;
  // GEMM inputs: both LayerNorm outputs (whole under sequence parallelism:
  // the all-gathered tensor is what the GEMM keeps), q, k, v (their copies
  // for the batched GEMMs; GQA: after repeating the key/value heads), the
  // attention context y, and the MLP's activations.
  const double gemm_inputs = (2 * z.sbh + (3 * z.sbh + z.sbh) / z.t + z.sb * mlp_elements_per_token(s) / z.t) * e.gemm;
  // Dropout masks of the attention and MLP outputs.
  const double masks = dropout > 0 ? 2 * z.sbh * e.mask / z.sp : 0;
  return norms + gemm_inputs + masks + weight_copy_bytes(s, p, bf16, e);
}

// What a layer's backward frees before it reaches the attention core: the
// MLP's kept tensors, LayerNorm 2's input and output, the attention output
// projection's input, the MLP output's dropout mask.
double freed_before_core(const ModelShape& s, const ParallelLayout& p, double dropout, const ElementBytes& e) {
  const LayerSizes z = layer_sizes(s, p);
  const double norm = (z.sbh + 2 * z.sb) * e.residual / z.sp;
  const double gemm = (z.sbh + (z.sbh + z.sb * mlp_elements_per_token(s)) / z.t) * e.gemm;
  return norm + gemm + (dropout > 0 ? z.sbh * e.mask / z.sp : 0);
}

// The peak of one layer's backward pass above what the layers keep: what
// its recomputation rebuilds first (full: the whole layer before its MLP's
// backward; selective: the core before the core's, with the copies of q, k,
// v its batched GEMMs make and its output), and the gradients the backward
// holds at once: the MLP's (the block output's, half the MLP activations'),
// then the attention core's (the probabilities' and the scores').
double layer_backward_bytes(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                            bool bf16) {
  const ElementBytes e = element_bytes(bf16);
  const LayerSizes z = layer_sizes(s, p);
  ParallelLayout plain = p;
  plain.recompute = Recompute::kNone;
  const double whole = trainer_bytes_per_layer(s, plain, attention, dropout, bf16);
  const double scores = score_bytes(z, attention, dropout, bf16);
  double before_mlp = 0, before_core = 0;  // rebuilt by then
  if (p.recompute == Recompute::kFull) {
    before_mlp = before_core = whole - trainer_bytes_per_layer(s, p, attention, dropout, bf16);
  } else if (p.recompute == Recompute::kSelective && scores > 0) {
    // Unfused: with the copies of q, k, v and the output; fused: the output.
    before_core = scores + (fused_cpu_core(attention, bf16) ? 1 : 4) * z.sbh * e.gemm / z.t;
  }
  const double mlp = (z.sbh + z.sb * mlp_elements_per_token(s) / 2) * e.gemm / z.t;
  const bool s2_gradients = scores > 0 && !fused_cpu_core(attention, bf16);
  const double core = s2_gradients ? 2 * z.score_elements * e.gemm / z.t : 0;
  return std::max(before_mlp + mlp, before_core - freed_before_core(s, p, dropout, e) + core);
}

// One data-parallel rank allocates its gradients in its first micro-batch's
// backward pass (several attach them to gradient buckets beforehand): at a
// layer's backward the output layer's gradient exists, and the gradients of
// the layers after it, which outweigh the layers' freed activations under
// full recomputation (its peak is at the first layer's backward then).
double gradients_at_peak(const ModelShape& s, const ParallelLayout& p, double kept_per_layer, double layers) {
  if (p.dp > 1) return 0;
  const double layer = 4 * parameters_per_layer(s) / p.tp;
  const double head = 4.0 * s.vocab * s.hidden / p.tp;
  return head + (kept_per_layer < layer ? layers : 1.0) * layer;
}

}  // namespace

double trainer_bytes_per_layer(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                               bool bf16) {
  const ElementBytes e = element_bytes(bf16);
  const LayerSizes z = layer_sizes(s, p);
  switch (p.recompute) {
    case Recompute::kFull:
      return z.sbh * e.residual / z.sp;  // the block's input
    case Recompute::kSelective:
      return layer_bytes_but_scores(s, p, dropout, bf16);
    case Recompute::kNone:
      break;
  }
  return layer_bytes_but_scores(s, p, dropout, bf16) + score_bytes(z, attention, dropout, bf16);
}

double trainer_bytes_per_gpu(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                             double layers_in_flight, bool bf16) {
  const ElementBytes e = element_bytes(bf16);
  const LayerSizes z = layer_sizes(s, p);
  const double kept_per_layer = trainer_bytes_per_layer(s, p, attention, dropout, bf16);
  // The layers' kept tensors, the micro-batch's tokens and targets (int64)
  // and the embedding's dropout mask.
  const double stored = layers_in_flight * kept_per_layer + 2 * 8 * z.sb + (dropout > 0 ? z.sbh * e.mask / z.sp : 0);
  // The loss's backward: the final LayerNorm's input and output, the fp32
  // log-probabilities the cross-entropy keeps (s b V / t) and the gradients
  // of the log-probabilities and of the logits (fp32).
  const double logits = z.sb * s.vocab / z.t;
  const double loss_backward = z.sbh * e.residual / z.sp + z.sbh * e.gemm + 3 * 4 * logits;
  // A layer's backward (the last layer's, or the first's under full
  // recomputation: gradients_at_peak).
  const double layers = static_cast<double>(s.layers) / p.pp;
  const double layer_backward =
      layer_backward_bytes(s, p, attention, dropout, bf16) + gradients_at_peak(s, p, kept_per_layer, layers);
  return stored + std::max(loss_backward, layer_backward);
}

double trainer_width_ramp_bytes_per_gpu(const ModelShape& s, const ParallelLayout& p, double layers_in_flight,
                                        bool bf16) {
  const LayerSizes z = layer_sizes(s, p);
  // The masked LayerNorm (backend/src/model/norms.cc) is composed of
  // elementwise operations, which keep the centred input and the normalised
  // one (fp32) where at::layer_norm keeps its input: one more h-vector a
  // token for each of a layer's two norms and the final one. The masked
  // RMSNorm keeps what the plain one does (its input and the normalised
  // product).
  const double norm = s.norm == Norm::kLayerNorm ? z.sbh * 4 / z.sp : 0;
  double kept = 2 * norm, transient = norm;
  if (bf16) {
    // Under autocast a bf16 GEMM output times an fp32 mask is fp32 (type
    // promotion), and so is what follows it. The FFN: GELU keeps an fp32
    // input, SwiGLU an fp32 gate and silu(gate) (2 bytes more an element
    // each), and the MLP's backward holds their gradients in fp32 too.
    const double ffn = (s.activation == Activation::kSwiglu ? 2.0 : 1.0) * z.sb * s.ffn_hidden * 2 / z.t;
    kept += ffn;
    transient += ffn;
    // Attention: the core's GEMMs cast q, k, v back to bf16 copies, which
    // they keep as the plain path keeps views; selective recomputation keeps
    // the core's inputs themselves, now fp32.
    if (p.recompute == Recompute::kSelective) kept += 3 * z.sbh * 2 / z.t;
  }
  // Full recomputation stores block inputs only: the masked tensors exist
  // for the one layer the backward pass rebuilds.
  const double layers = p.recompute == Recompute::kFull ? 1.0 : layers_in_flight;
  return layers * kept + transient;
}

}  // namespace sprout::planner
