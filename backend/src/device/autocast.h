// SPDX-License-Identifier: GPL-3.0-or-later
// bf16 autocast for the forward pass on CPU (and CUDA), across the libtorch
// 1.13 and 2.x APIs: matmuls run in bf16, reductions and the loss in fp32.
#pragma once

#include <torch/types.h>

namespace sprout::backend {

// Whether autocast is on for `device`'s kind now (a recomputed piece of the
// forward pass re-enters the state its first run had: step/recompute.h).
bool autocast_enabled(torch::Device device);

class AutocastGuard {
 public:
  // No-op when !enabled.
  AutocastGuard(bool enabled, torch::Device device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  bool cuda_;
};

}  // namespace sprout::backend
