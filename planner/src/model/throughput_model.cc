// SPDX-License-Identifier: GPL-3.0-or-later
// The iteration-time model. Structure after Narayanan et al. 2021 (1F1B
// pipeline, Megatron TP) and Korthikanti et al. 2022 (sequence parallelism,
// selective recompute); every term is listed in docs/formulas.md.
#include "sprout/planner/model/throughput_model.h"

#include <algorithm>
#include <cmath>

#include "model/collectives.h"
#include "model/trainer_operations.h"
#include "sprout/planner/model/memory_model.h"

namespace sprout::planner {
namespace {

constexpr double kBf16Bytes = 2;
constexpr double kFp32Bytes = 4;

// Achieved HBM bandwidth of memory-bound kernels, bytes/s.
double hbm_bytes_per_s(const HardwareProfile& hw) {
  return hw.hbm_gb_per_s * 1e9 * hw.memory_efficiency * hw.calibration.memory_efficiency_scale;
}

// One GEMM (or a batch of equal GEMMs launched as one kernel): the slower of
// compute at the profile's efficiency for its size and moving its operands
// through HBM (roofline). A GEMM streams its operands at the copy bandwidth
// (`streamed`, sprout-train's stages), not at the memory-bound kernels'
// fraction of it: on a CPU whose bf16 elementwise kernels reach 10% of the
// copy bandwidth, that fraction made attention's batched GEMMs 2.6x slower
// than they run. Other stages keep the model fitted to published runs.
double gemm_seconds(const HardwareProfile& hw, double m, double n, double k, double batch = 1, bool streamed = false) {
  const double flops = 2 * m * n * k * batch;
  const double table = batch > 1 ? hw.batched_gemm_efficiency_at(m, n, k, batch) : hw.gemm_efficiency_at(flops);
  const double efficiency = std::min(1.0, table * hw.calibration.gemm_efficiency_scale);
  const double compute = flops / (hw.peak_tflops * 1e12 * efficiency);
  const double bytes = kBf16Bytes * (m * k + k * n + m * n) * batch;
  const double memory = bytes / (streamed ? hw.hbm_gb_per_s * 1e9 : hbm_bytes_per_s(hw));
  return std::max(compute, memory);
}

double memory_seconds(const HardwareProfile& hw, double bytes) { return bytes / hbm_bytes_per_s(hw); }

// Launch overhead of one layer's kernels for one micro-batch, forward and
// backward (matmuls, norms, activations, softmax, dropout, residuals). The
// measured costs of sprout-train's operations include their dispatch.
double layer_launch_seconds(const HardwareProfile& hw, bool trainer_operations) {
  if (trainer_operations) return 0;
  return hw.calibration.kernels_per_layer * hw.kernel_overhead_us * 1e-6;
}

// How fast the stage's codebase runs the model's kernels relative to
// Megatron-LM's (1 for Megatron-LM itself, and for sprout-train: its
// operations are counted where the profile measured them, else its kernels
// are the bandwidth model's, as every CPU prediction before them was).
double framework_speed(const StageWorkload& w, const HardwareProfile& hw) {
  if (w.framework == Framework::kMegatronLm || w.framework == Framework::kSproutTrain) return 1.0;
  return hw.calibration.other_framework_efficiency;
}

struct LayerTimes {
  double forward_compute = 0;   // GEMMs + memory-bound kernels
  double backward_compute = 0;  // incl. recomputation
  double forward_comm = 0;      // TP collectives
  double backward_comm = 0;
};

LayerTimes layer_times(const StageWorkload& w, const HardwareProfile& hw) {
  const ModelShape& s = w.shape;
  const ParallelLayout& p = w.layout;
  const double t = p.tp;
  const double b = p.micro_batch;
  const double seq = s.seq_len;
  const double tokens = b * seq;
  const double h = s.hidden;
  const double f = s.ffn_hidden;
  const double d = s.head_dim();
  const double kv = static_cast<double>(s.kv_heads) * d;
  const double heads_per_rank = s.heads / t;
  const bool swiglu = s.activation == Activation::kSwiglu;
  // sprout-train's stages with measured operations: those replace the
  // bandwidth terms and GEMMs stream at the copy bandwidth.
  const bool trainer_operations = internal::has_trainer_operations(w, hw);

  // --- GEMMs of one layer (Megatron TP: column-parallel QKV and FFN1,
  // row-parallel output projection and FFN2) -------------------------------
  double dense = gemm_seconds(hw, tokens, (h + 2 * kv) / t, h, 1, trainer_operations) +          // QKV
                 gemm_seconds(hw, tokens, h, h / t, 1, trainer_operations) +                     // attention output
                 gemm_seconds(hw, tokens, (swiglu ? 2 : 1) * f / t, h, 1, trainer_operations) +  // FFN up (and gate)
                 gemm_seconds(hw, tokens, h, f / t, 1, trainer_operations);                      // FFN down
  double attention_fwd = 0;  // attention core forward
  double attention_bwd = 0;
  if (w.attention != AttentionKernel::kStandard) {
    // Fused kernel: causal masking skips half of the score matrix; backward
    // recomputes QK^T, 2.5x the forward work (Dao 2023, FlashAttention-2).
    // FlashAttention-1 runs at about half FA2's speed (Dao 2023, sec. 4).
    const double fwd_flops = 0.5 * 4 * b * seq * seq * d * heads_per_rank;
    const double kernel_speed = w.attention == AttentionKernel::kFlash1 ? 0.5 : 1.0;
    attention_fwd = fwd_flops / (hw.peak_tflops * 1e12 * hw.flash_attention_efficiency * kernel_speed);
    attention_bwd = 2.5 * attention_fwd;
  } else if (trainer_operations && internal::runs_fused_cpu_attention(w, hw)) {
    // sprout-train's fused CPU core: its products are in the measured
    // `causal_attention` cost (trainer_operations.h).
  } else {
    attention_fwd = gemm_seconds(hw, seq, seq, d, b * heads_per_rank, trainer_operations) +  // QK^T
                    gemm_seconds(hw, seq, d, seq, b * heads_per_rank, trainer_operations);   // scores x V
    attention_bwd = 2 * attention_fwd;
  }

  // --- memory-bound kernels (bytes moved, forward) -------------------------
  // Regions outside the TP GEMMs (LayerNorm, dropout, residual) are split
  // over TP ranks only with sequence parallelism (Korthikanti 2022, sec. 4.2).
  const double dropout_mask = w.dropout > 0 ? 1 : 0;  // uint8 mask per element
  const double replicated = tokens * h / (p.sequence_parallel ? t : 1);
  // LayerNorm and RMSNorm move the same bytes (read x, write y); RMSNorm
  // saves the mean's arithmetic only, which a memory-bound kernel hides.
  double norms = 2 * (2 * kBf16Bytes) * replicated;                    // 2 norms
  double residual = 2 * (3 * kBf16Bytes + dropout_mask) * replicated;  // 2 bias-dropout-adds
  double activation = (swiglu ? 3 : 2) * kBf16Bytes * tokens * f / t;  // GELU / SwiGLU
  // Rotary/xPos: read and write Q and K once; xPos's scale is folded into
  // the cos/sin tables, so it moves the same bytes as rotary.
  double rotary = rotates_queries_and_keys(s.position) ? 2 * kBf16Bytes * tokens * (h + kv) / t : 0;
  double softmax = 0, attn_dropout = 0;
  if (w.attention == AttentionKernel::kStandard) {
    const double scores = b * heads_per_rank * seq * seq;
    softmax = 2 * kBf16Bytes * scores;  // fused scale-mask-softmax
    attn_dropout = w.dropout > 0 ? (2 * kBf16Bytes + 1) * scores : 0;
  }
  double fwd_memory = memory_seconds(hw, norms + residual + activation + rotary + softmax + attn_dropout);
  double attention_memory = memory_seconds(hw, softmax + attn_dropout);
  if (trainer_operations) {
    // sprout-train: its operations one by one at their measured costs (a
    // third of each forward, as for the bandwidth terms); dropout's masks
    // still by bandwidth.
    const double dropout_bytes = 2 * dropout_mask * replicated + attn_dropout;
    fwd_memory = internal::trainer_layer_operation_seconds(w, hw) / 3 + memory_seconds(hw, dropout_bytes);
    attention_memory = memory_seconds(hw, attn_dropout);
  }

  LayerTimes lt;
  const double speed = framework_speed(w, hw);
  lt.forward_compute = (dense + attention_fwd + fwd_memory) / speed;
  // Backward: input and weight gradients, each as costly as the forward GEMM;
  // memory-bound kernels read the saved input and the gradient, write one.
  lt.backward_compute = (2 * dense + attention_bwd + 2 * fwd_memory) / speed;

  // --- TP collectives: 2 all-reduces (or 2 all-gather + 2 reduce-scatter
  // with sequence parallelism, the same volume) forward and backward ---------
  const int ranks_per_node = std::min(p.tp, std::max(1, hw.gpus_per_node));
  const double activation_bytes = tokens * h * kBf16Bytes;
  const double one_allreduce = internal::allreduce_seconds(hw, activation_bytes, p.tp, ranks_per_node);
  lt.forward_comm = 2 * one_allreduce;
  lt.backward_comm = 2 * one_allreduce;
  if (p.sequence_parallel) {
    // Megatron-LM does not keep the all-gathered inputs of the QKV and FFN1
    // GEMMs; it gathers them again in backward for the weight gradients
    // (Korthikanti 2022, sec. 4.2.2): two more all-gathers, one all-reduce.
    lt.backward_comm += one_allreduce;
  }

  switch (p.recompute) {
    case Recompute::kNone:
      break;
    case Recompute::kSelective:
      // Only the attention core is recomputed (Korthikanti 2022, sec. 5); a
      // flash kernel recomputes inside its own backward already.
      if (w.attention == AttentionKernel::kStandard) {
        lt.backward_compute += (attention_fwd + attention_memory) / speed;
      }
      break;
    case Recompute::kFull:
      lt.backward_compute += lt.forward_compute;
      lt.backward_comm += lt.forward_comm;
      break;
  }
  return lt;
}

// How the pipeline paces an iteration: the busiest stage's compute and TP
// communication per micro-batch (all its chunks), and the fill and drain.
struct PipelinePace {
  double stage_compute_s = 0;
  double stage_comm_s = 0;
  double bubble_s = 0;
  double stage_layers = 0;  // layers of the busiest stage
};

PipelinePace pipeline_pace(const ParallelLayout& p, int layers, const LayerTimes& lt, double embedding_s,
                           double logits_s) {
  PipelinePace pace;
  const double layer_compute = lt.forward_compute + lt.backward_compute;
  const double layer_comm = lt.forward_comm + lt.backward_comm;
  if (!uneven_stages(p)) {
    const double layers_per_chunk = static_cast<double>(layers) / (p.pp * p.interleave);
    const double chunk_compute = layers_per_chunk * layer_compute;
    const double chunk_comm = layers_per_chunk * layer_comm;
    // Slowest pipeline stage sets the pace: with one stage it carries both ends.
    const double extra = p.pp == 1 ? embedding_s + logits_s : std::max(embedding_s, logits_s);
    pace.stage_compute_s = p.interleave * chunk_compute + extra;
    pace.stage_comm_s = p.interleave * chunk_comm;
    // 1F1B fill and drain: (p-1) chunk-times, i.e. (p-1)/(v m) of the ideal
    // time (Narayanan et al. 2021, sec. 2.2).
    pace.bubble_s = (p.pp - 1) * (chunk_compute + chunk_comm);
    pace.stage_layers = p.interleave * layers_per_chunk;
    return pace;
  }
  // Unequal stages (interleave 1): stage i takes T_i = n_i (F + B) plus its
  // end's embedding or logits per micro-batch. Every micro-batch passes every
  // stage once each way and the slowest stage works through all m of them
  // back to back, so the 1F1B iteration is (m - 1) max T_i + sum T_i (the
  // flow-shop makespan of a synchronous pipeline; equal stages give
  // Narayanan's (m + p - 1) T): the bubble is sum T_i - max T_i. It bounds
  // the exact 1F1B schedule from above (the simulator's DAG overlaps the
  // busiest stage's first forward with the later stages' round trip: at
  // most one busiest-stage forward shorter).
  double sum_s = 0, busiest_s = -1;
  for (int i = 0; i < p.pp; ++i) {
    const double n = p.stage_layers[static_cast<size_t>(i)];
    const double extra = (i == 0 ? embedding_s : 0) + (i == p.pp - 1 ? logits_s : 0);
    const double compute = n * layer_compute + extra;
    const double comm = n * layer_comm;
    sum_s += compute + comm;
    if (compute + comm > busiest_s) {
      busiest_s = compute + comm;
      pace.stage_compute_s = compute;
      pace.stage_comm_s = comm;
      pace.stage_layers = n;
    }
  }
  pace.bubble_s = sum_s - busiest_s;
  return pace;
}

// ZeRO-3 / FSDP (Rajbhandari et al. 2020): every micro-batch all-gathers
// the bf16 weights for the forward and again for the backward, and
// reduce-scatters the gradients, over the shard group; prefetching hides
// each layer's transfer behind the previous layer's compute, so a pass
// exposes what its transfers take beyond its compute, plus the first
// layer's. Shard groups that do not span all of DP (replicas, as
// BloombergGPT's 4 copies of 128-GPU shards) then all-reduce their fp32
// gradient shards after the last micro-batch.
double fully_sharded_seconds(const ParallelLayout& p, const HardwareProfile& hw, double stage_params,
                             const PipelinePace& pace, const LayerTimes& lt, int micro_batches) {
  const int shards = p.shard_group();
  const int per_node = std::clamp(hw.gpus_per_node / std::max(1, p.tp), 1, shards);
  const double gather = internal::allgather_seconds(hw, stage_params * kBf16Bytes, shards, per_node);
  const double scatter = gather;  // a reduce-scatter moves what an all-gather does
  const double first_layer = 1.0 / std::max(1.0, pace.stage_layers);
  const double forward = pace.stage_layers * lt.forward_compute;
  const double backward = pace.stage_layers * lt.backward_compute;
  const double per_micro_batch = std::max(0.0, gather - forward) + first_layer * gather +
                                 std::max(0.0, gather + scatter - backward) + first_layer * scatter;
  const int replicas = p.dp / shards;
  const double replica_reduce = internal::allreduce_seconds(hw, stage_params / shards * kFp32Bytes, replicas, 1);
  return micro_batches * per_micro_batch + replica_reduce;
}

// The exposed ZeRO-3 time as the DP reduction the simulator's DAG places
// after the last backward (nothing of it overlaps there: it already is the
// part no compute hides).
void set_fully_sharded_times(MicroBatchTimes& mb, double exposed_s) {
  mb.dp_allreduce_s = exposed_s;
  mb.dp_param_gather_s = 0;
  mb.dp_overlap = false;
  mb.dp_overlappable_s = 0;
}

}  // namespace

double msg_mask_seconds_per_iteration(const StageWorkload& w, const HardwareProfile& hw, bool width, bool depth,
                                      int new_layers) {
  const ModelShape& s = w.shape;
  const ParallelLayout& p = w.layout;
  const double t = p.tp;
  const double tokens = static_cast<double>(p.micro_batch) * s.seq_len;
  const int m = micro_batches_per_iteration(w.global_batch_sequences, p);
  // Elements touched per layer, forward: two masked LayerNorms (mask, mean
  // and variance passes over h each), the hidden mask on both residual
  // branches (2h), the head mask on Q, K, V and the FFN-neuron mask.
  double elements = 0, kernels = 0;
  if (width) {
    elements += s.layers / static_cast<double>(p.pp) * (8 * s.hidden + (3.0 * s.hidden + s.ffn_hidden) / t);
    kernels += s.layers / static_cast<double>(p.pp) * 10;
  }
  if (depth) {
    // h_out = m * Block(h) + (1 - m) * h on each new block: 3 passes over h.
    elements += new_layers / static_cast<double>(p.pp) * 3 * s.hidden;
    kernels += new_layers / static_cast<double>(p.pp) * 3;
  }
  // Read and write each element forward; backward moves twice that.
  const double bytes = 3 * 2 * kBf16Bytes * elements * tokens;
  return m * (memory_seconds(hw, bytes) + 3 * kernels * hw.kernel_overhead_us * 1e-6);
}

int micro_batches_per_iteration(long long global_batch_sequences, const ParallelLayout& layout) {
  const double per_replica =
      static_cast<double>(global_batch_sequences) / (static_cast<double>(layout.dp) * layout.micro_batch);
  return std::max(1, static_cast<int>(std::llround(per_replica)));
}

IterationEstimate estimate_iteration(const StageWorkload& w, const HardwareProfile& hw) {
  const ModelShape& s = w.shape;
  const ParallelLayout& p = w.layout;
  IterationEstimate est;
  const int m = micro_batches_per_iteration(w.global_batch_sequences, p);
  est.micro_batches = m;
  est.global_batch_sequences = static_cast<long long>(m) * p.dp * p.micro_batch;

  const LayerTimes lt = layer_times(w, hw);
  const double layers_per_chunk = static_cast<double>(s.layers) / (p.pp * p.interleave);
  const double tokens = static_cast<double>(p.micro_batch) * s.seq_len;

  // Embedding (first stage) and logits + cross-entropy (last stage).
  const double speed = framework_speed(w, hw);
  const double logits_fwd = gemm_seconds(hw, tokens, static_cast<double>(s.vocab) / p.tp, s.hidden);
  const double loss_memory = memory_seconds(hw, 5 * kFp32Bytes * tokens * s.vocab / p.tp);
  const bool trainer_operations = internal::has_trainer_operations(w, hw);
  // sprout-train's lookup as the profile measured it (its backward's
  // scattered accumulation cost a plan of hidden 64 ten times what
  // bandwidth predicts), and the gradient's zero fill over this rank's
  // vocabulary rows (fp32); else three passes over the looked-up rows.
  const double embedding_s =
      trainer_operations && internal::measured_embedding(hw)
          ? internal::trainer_embedding_seconds(w, hw) + memory_seconds(hw, kFp32Bytes * s.vocab / p.tp * s.hidden)
          : memory_seconds(hw, 3 * tokens * s.hidden * kBf16Bytes) / speed;
  const double final_norm_s = trainer_operations ? internal::trainer_final_norm_seconds(w, hw) : 0;
  const double logits_s = (3 * logits_fwd + loss_memory) / speed + final_norm_s;

  MicroBatchTimes& mb = est.micro;
  mb.forward_s = layers_per_chunk * (lt.forward_compute + lt.forward_comm);
  mb.backward_s = layers_per_chunk * (lt.backward_compute + lt.backward_comm);
  mb.forward_tp_comm_s = layers_per_chunk * lt.forward_comm;
  mb.backward_tp_comm_s = layers_per_chunk * lt.backward_comm;
  mb.first_stage_extra_s = embedding_s;
  mb.last_stage_extra_s = logits_s;
  mb.chunks_per_stage = p.interleave;
  mb.micro_batches = m;
  if (uneven_stages(p)) mb.layers_by_stage = p.stage_layers;

  // Pipeline neighbours: Megatron orders ranks TP fastest, then DP, then PP,
  // so stage i and i+1 are tp*dp ranks apart. Each of the t TP ranks sends
  // 1/t of the activation over its own link and the receivers all-gather it
  // over NVLink (scatter/gather optimisation, Narayanan et al. 2021 sec. 4.1).
  const bool pp_same_node = p.tp * p.dp * 2 <= hw.gpus_per_node;
  const double p2p_bytes = tokens * s.hidden * kBf16Bytes / p.tp;
  mb.p2p_s = p.pp > 1 ? internal::p2p_seconds(hw, p2p_bytes, pp_same_node) : 0;

  const PipelinePace pace = pipeline_pace(p, s.layers, lt, embedding_s, logits_s);
  IterationBreakdown& br = est.breakdown;
  br.compute_s = m * pace.stage_compute_s;
  br.tp_comm_s = m * pace.stage_comm_s;
  br.bubble_s = pace.bubble_s;
  // Blocking send/recv of activations forward and gradients backward.
  br.pp_comm_s = p.pp > 1 ? 2.0 * (m * p.interleave + p.pp - 1) * mb.p2p_s : 0;

  // --- data-parallel gradient reduction ---------------------------------
  // The most loaded stage holds its layers and an end of the model.
  const double stage_params = stage_parameters_per_gpu(s, p);
  if (p.fully_sharded) {
    set_fully_sharded_times(mb, fully_sharded_seconds(p, hw, stage_params, pace, lt, m));
  } else {
    // Megatron keeps fp32 main gradients in bf16 training and reduces them in
    // fp32. The distributed optimizer (ZeRO-1) reduce-scatters gradients and
    // all-gathers bf16 parameters instead: 3/4 of the all-reduce volume.
    const int dp_per_node = std::clamp(hw.gpus_per_node / std::max(1, p.tp), 1, p.dp);
    double grad_reduce_s = 0;   // may overlap the last backward
    double param_gather_s = 0;  // after the optimizer step: never overlapped here
    if (p.dp > 1) {
      if (p.distributed_optimizer) {
        grad_reduce_s = internal::allgather_seconds(hw, stage_params * kFp32Bytes, p.dp, dp_per_node);
        param_gather_s = internal::allgather_seconds(hw, stage_params * kBf16Bytes, p.dp, dp_per_node);
      } else {
        grad_reduce_s = internal::allreduce_seconds(hw, stage_params * kFp32Bytes, p.dp, dp_per_node);
      }
    }
    mb.dp_allreduce_s = grad_reduce_s + param_gather_s;
    mb.dp_param_gather_s = param_gather_s;
    mb.dp_overlap = w.overlap_grad_reduce;
    const double last_backward = pace.stage_layers * (lt.backward_compute + lt.backward_comm);
    mb.dp_overlappable_s = w.overlap_grad_reduce ? std::min(grad_reduce_s, last_backward) : 0;
  }
  br.dp_comm_s = mb.dp_allreduce_s - mb.dp_overlappable_s;

  // --- optimizer: Adam is memory-bound; reads fp32 master, m, v, grad and
  // writes master, m, v and the bf16 copy: 30 bytes per local parameter ----
  const double local_params = stage_params / (p.fully_sharded ? p.shard_group() : (p.distributed_optimizer ? p.dp : 1));
  mb.optimizer_s = trainer_operations
                       ? internal::trainer_optimizer_seconds(hw, local_params, parameters_per_layer(s) / p.tp)
                       : memory_seconds(hw, 30 * local_params);
  br.optimizer_s = mb.optimizer_s;

  mb.launch_overhead_s = layers_per_chunk * layer_launch_seconds(hw, trainer_operations);
  br.other_s = m * pace.stage_layers * layer_launch_seconds(hw, trainer_operations);

  const double batch_tokens = static_cast<double>(est.global_batch_sequences) * s.seq_len;
  est.model_flops = model_flops_per_token(s) * batch_tokens;
  est.hardware_flops = hardware_flops_per_token(s, p.recompute) * batch_tokens;
  set_iteration_seconds(est, br.total_s(), p.gpus(), hw);
  return est;
}

void set_iteration_seconds(IterationEstimate& est, double iteration_s, int gpus, const HardwareProfile& hw) {
  est.iteration_s = iteration_s;
  est.tflops_per_gpu = est.model_flops / iteration_s / gpus / 1e12;
  est.hardware_tflops_per_gpu = est.hardware_flops / iteration_s / gpus / 1e12;
  est.mfu = est.tflops_per_gpu / hw.peak_tflops;
  est.hfu = est.hardware_tflops_per_gpu / hw.peak_tflops;
}

}  // namespace sprout::planner
