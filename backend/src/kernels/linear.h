// SPDX-License-Identifier: GPL-3.0-or-later
// The trainer's linear layer, y = x w^T (+ b): LibTorch's at::linear, except
// for fp32 tensors on the CPU (no autocast), where the three GEMMs of a
// training step (forward, input and weight gradients) run in oneDNN's
// sgemm (libdnnl, the library LibTorch itself links).
//
// Why: Debian's LibTorch sends fp32 GEMMs to OpenBLAS, whose pthreads pool
// is a second set of threads beside LibTorch's OpenMP team: on the 2-core
// machine its workers spun in sched_yield while LibTorch ran the
// element-wise work (perf: ~25% of a step's CPU samples in sched_yield and
// the kernel), and OpenBLAS 0.3.21 picks AVX2 (or SSE3) kernels on CPUs it
// does not know. oneDNN's sgemm runs on the same OpenMP team with its
// AVX-512 kernels: 1.2-2.3x OpenBLAS on the trainer's shapes here
// (docs/backend.md "CPU kernels").
#pragma once

#include <torch/types.h>

namespace sprout::backend {

// Whether linear_layer() runs oneDNN's sgemm for x (fp32 on the CPU, no CPU
// autocast, sprout built with libdnnl).
bool onednn_linear_applies(const torch::Tensor& x);

// y = x w^T (+ b) with gradients; x [..., in], w [out, in], b [out] or
// undefined.
torch::Tensor linear_layer(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {});

}  // namespace sprout::backend
