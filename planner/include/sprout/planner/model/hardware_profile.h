// SPDX-License-Identifier: GPL-3.0-or-later
// A GPU (or CPU) type and the cluster around it, as measured or published.
// profiles/hardware/*.yaml; every number there carries its source.
#pragma once

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
  double hbm_gb = 0;
  double hbm_gb_per_s = 0;
  double memory_efficiency = 0.8;           // achieved/peak for memory-bound kernels
  double flash_attention_efficiency = 0.6;  // achieved/peak of fused attention kernels
  double memory_reserved_gb = 0;            // context, NCCL buffers, fragmentation
  double kernel_overhead_us = 0;            // launch/sync cost per kernel

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

  // The model's fitted constants (model_calibration.h); not part of the
  // profile file: the same on every GPU type.
  ModelCalibration calibration;

  // Efficiency for a GEMM of `flops` (log-linear interpolation, clamped).
  double gemm_efficiency_at(double flops) const;
  // Efficiency of `batch` equal GEMMs of `flops_each` launched together.
  double batched_gemm_efficiency_at(double flops_each, double batch) const;
};

}  // namespace sprout::planner
