// SPDX-License-Identifier: GPL-3.0-or-later
// The constants of the iteration-time model that are chosen or fitted, not
// measured or read off a datasheet: each multiplies (or replaces) a number of
// the hardware profile in the same way on every GPU type. Their values below
// are the least-squares fit on every published group (docs/validation.md
// "Calibration"); `sprout validate --cross-validate` refits them without each
// group in turn to show how the model predicts runs it was not fitted to.
#pragma once

#include <string>
#include <vector>

namespace sprout::planner {

struct ModelCalibration {
  // Achieved GEMM throughput inside a training step relative to the
  // profile's microbenchmark table (framework-launched GEMMs with their
  // epilogues, layouts and tails).
  double gemm_efficiency_scale = 1.0;
  // Achieved HBM bandwidth of memory-bound kernels relative to the profile's
  // memory_efficiency.
  double memory_efficiency_scale = 1.0;
  // Kernels launched per transformer layer per micro-batch (forward and
  // backward), each paying the profile's kernel_overhead_us where the CPU
  // cannot run ahead of the GPU.
  double kernels_per_layer = 40;
  // Achieved collective bandwidth relative to the profile's nccl-tests bus
  // bandwidth (rings of many ranks, congestion, stragglers).
  double network_efficiency = 1.0;
  // Speed of the kernels and schedule of codebases other than Megatron-LM
  // (DeepSpeed's pipeline engine, SageMaker, FSDP) relative to Megatron-LM's,
  // for the same work on the same hardware (plan key `framework`). The
  // shipped value is the fit on every published group (prior 1).
  double other_framework_efficiency = 0.6896;
};

// One constant: how to reach it, the range a fit may move it in, whether the
// fit moves it at all, and where its value comes from.
struct CalibrationConstant {
  const char* name;
  double ModelCalibration::*field;
  double lower;
  double upper;
  double prior;            // the value before any fit: what the mechanism is without the published runs
  bool refit;              // fitted by least squares; otherwise held at its chosen value
  const char* provenance;  // docs/validation.md repeats it
};

const std::vector<CalibrationConstant>& calibration_constants();

// Every constant at its prior (the start of every fit).
ModelCalibration prior_calibration();

// "gemm_efficiency_scale=0.95 memory_efficiency_scale=1 ..."
std::string describe(const ModelCalibration& calibration);

}  // namespace sprout::planner
