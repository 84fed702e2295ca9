// SPDX-License-Identifier: GPL-3.0-or-later
// A GPU (or CPU) type and the cluster around it, as measured or published.
// profiles/hardware/*.yaml; every number there carries its source.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sprout/planner/model/model_calibration.h"

namespace sprout::planner {

// Achieved fraction of peak for a matrix multiply of a given size (2 m n k
// FLOPs). Filled from public microbenchmarks or by `sprout profile`.
struct EfficiencyPoint {
  double flops = 0;
  double efficiency = 0;
};

// The efficiency of `batch` products of an m x k by a k x n matrix launched
// as one batched GEMM, as `sprout profile` timed it at that shape.
struct BatchedGemmShape {
  double m = 0, n = 0, k = 0;
  double efficiency = 0;
};

// What one of sprout-train's operations costs per element when it acts on a
// tensor of `elements` elements (forward and backward).
struct SizedCost {
  double elements = 0;
  double ns = 0;
};

// The throughput values that depend on the precision the trainer computes
// in: on this project's 2-core AVX-512 CPU, bf16 GEMMs under autocast run
// ~3.5x faster than fp32 ones and bf16 elementwise kernels ~4x slower (no
// native bf16 arithmetic), so one set cannot predict both (docs/compare.md).
struct DtypeThroughput {
  double peak_tflops = 0;
  std::vector<EfficiencyPoint> gemm_efficiency;
  std::vector<EfficiencyPoint> batched_gemm_efficiency;
  std::vector<BatchedGemmShape> batched_gemm_shapes;  // HardwareProfile's
  double memory_efficiency = 0.8;
  double flash_attention_efficiency = 0.6;
  // sprout-train's unfused LibTorch operations, measured by `sprout profile`
  // running them as the trainer does (forward and backward through autograd):
  // nanoseconds per element of the tensor each acts on (kTrainerOps; adamw:
  // per parameter, by a layer's parameters), at a few sizes, increasing.
  // Their per-element costs differ by 80x on one CPU (a bf16 LayerNorm, a
  // fp32 add), beyond any one bandwidth, and fall with the tensor's size.
  // Empty: not measured.
  std::map<std::string, std::vector<SizedCost>> trainer_ns_per_element;
  // Seconds a sprout-train process's first step takes beyond its later ones
  // for one-time work (kernels generated on first use, libraries
  // initialised lazily), without the fresh memory it maps
  // (HardwareProfile::fresh_memory_gb_per_s). 0: not measured.
  double trainer_first_step_s = 0;
};

// The operation families of trainer_ns_per_element, and what an element is:
// layer_norm, rms_norm, residual_add: the residual stream [tokens, hidden];
// rotary: queries and keys [batch, heads, seq, head size]; gelu, swiglu: the
// FFN's hidden activations [tokens, ffn]; attention_scores (scale, causal
// mask, softmax): [batch, heads, seq, seq]; head_copy (heads to and from
// their GEMM layout, GQA's repeated keys and values): each element copied;
// adamw: each parameter (clipping, the update, zeroing the gradient);
// causal_attention (sprout-train's fused CPU attention core, fp32: QK^T,
// softmax, dropout, x V, forward and backward): [batch, heads, seq, seq]
// times the head size (the products' work grows with both), measured only for a dtype the trainer runs it in (its
// presence tells the planner the core is fused); linear_bias (a biased
// linear layer's bias broadcast into its output and its gradient summed over
// the tokens): each output element; weight_concat (the QKV weights
// concatenated for one GEMM, their gradient split back): each weight element;
// embedding (the token lookup, its gradient accumulated into the rows):
// each looked-up element [tokens, hidden]. linear_bias, weight_concat and
// embedding are optional (profiles written before they were measured lack
// them; the first two then count as nothing, the embedding by bandwidth).
inline const std::vector<std::string> kTrainerOps = {
    "layer_norm", "rms_norm", "residual_add",     "rotary",      "gelu",          "swiglu",   "attention_scores",
    "head_copy",  "adamw",    "causal_attention", "linear_bias", "weight_concat", "embedding"};

struct HardwareProfile {
  std::string name;
  std::string description;
  std::string source_file;  // where it was loaded from ("" when built in code)

  // compute and memory
  double peak_tflops = 0;                        // dense bf16/fp16 tensor peak (fp32 for CPUs)
  std::vector<EfficiencyPoint> gemm_efficiency;  // increasing flops
  // Optional: batched GEMMs of many small matrices (attention scores and
  // context), keyed by the FLOPs of one matrix product. Empty: a batched GEMM
  // runs at gemm_efficiency for its total FLOPs (as on GPUs, where one kernel
  // covers the batch). `sprout profile` measures it on CPUs.
  std::vector<EfficiencyPoint> batched_gemm_efficiency;
  // Optional: the same batched GEMMs by shape. LibTorch's CPU bmm runs
  // products of equal FLOPs 10-50x apart by shape (bf16 QK^T: 40 GFLOP/s at
  // head size 16, ~500 at 32 or 64, 9-36 at sequence 512 on this project's
  // CPU), which a table keyed by FLOPs cannot tell apart. When present, a
  // batched GEMM takes the efficiency of the timed shapes nearest its own
  // (of the same kind: QK^T's m = n, x V's m = k), and batched_gemm_efficiency
  // is the fallback for other kinds.
  std::vector<BatchedGemmShape> batched_gemm_shapes;
  double hbm_gb = 0;
  double hbm_gb_per_s = 0;
  double memory_efficiency = 0.8;                                        // achieved/peak for memory-bound kernels
  double flash_attention_efficiency = 0.6;                               // achieved/peak of fused attention kernels
  double memory_reserved_gb = 0;                                         // context, NCCL buffers, fragmentation
  double kernel_overhead_us = 0;                                         // launch/sync cost per kernel
  std::map<std::string, std::vector<SizedCost>> trainer_ns_per_element;  // DtypeThroughput's
  double trainer_first_step_s = 0;                                       // DtypeThroughput's
  // GB/s at which the operating system maps memory a process touches for
  // the first time (page faults: 0.36 GB/s in this project's CPU VM). 0: not
  // measured (GPU profiles: the caching allocator's device memory).
  double fresh_memory_gb_per_s = 0;

  // interconnect (bus bandwidth as nccl-tests reports it)
  int gpus_per_node = 8;
  double intra_node_gb_per_s = 0;
  double intra_node_latency_us = 0;
  double inter_node_gb_per_s = 0;  // per GPU (one NIC each)
  double inter_node_latency_us = 0;

  // power, carbon, price
  double tdp_w = 0;
  double typical_power_fraction = 0.7;  // average draw / TDP while training
  double idle_power_w = 0;
  double node_overhead_w = 0;           // CPUs, fans, NICs per node
  double embodied_kg_co2e_per_gpu = 0;  // incl. its share of the server
  double lifetime_years = 5;
  double price_usd_per_gpu_hour = 0;

  // operations
  double checkpoint_write_gb_per_s = 0;  // per node, to shared storage
  double restart_overhead_s = 0;         // detect + reschedule + reload
  double mtbf_gpu_hours = 0;             // mean GPU-hours between job interruptions
  std::string measured;                  // date and method when `sprout profile` wrote it

  // Precision the throughput values above were measured in ("" when the
  // profile does not say: a GPU profile's datasheet bf16), and the same
  // values measured in other precisions (`sprout profile --dtype bf16,fp32`).
  std::string dtype;
  std::map<std::string, DtypeThroughput> throughput_by_dtype;

  // The model's fitted constants (model_calibration.h); not part of the
  // profile file: the same on every GPU type.
  ModelCalibration calibration;

  DtypeThroughput throughput() const;
  void set_throughput(const DtypeThroughput& t);
  // This profile for a trainer computing in `dtype`: the throughput measured
  // in that precision in place of the main one (which moves into
  // throughput_by_dtype); unchanged when the profile has none for it.
  HardwareProfile for_dtype(const std::string& dtype) const;

  // Nanoseconds per element of trainer operation `op` on `elements`
  // elements (log-linear interpolation, clamped).
  double trainer_ns_at(const std::string& op, double elements) const;

  // Efficiency for a GEMM of `flops` (log-linear interpolation, clamped).
  double gemm_efficiency_at(double flops) const;
  // Efficiency of `batch` equal m x k by k x n GEMMs launched together.
  double batched_gemm_efficiency_at(double m, double n, double k, double batch) const;
};

}  // namespace sprout::planner
