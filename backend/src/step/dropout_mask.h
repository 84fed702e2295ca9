// SPDX-License-Identifier: GPL-3.0-or-later
// Dropout keep-masks drawn where the tensor lives, from Philox4x32-10
// (philox.h): key = the micro-batch's dropout seed (ForwardContext::
// dropout_seed, from the run seed and the micro-batch's first sequence),
// counter = (element index / 4 in the full, unsharded tensor, site), output
// word = index % 4. A rank holding a block of the full tensor (heads under
// tensor parallelism, positions under sequence parallelism) draws exactly the
// single-process mask of its block, with no host work and no generator state.
//
// CPU tensors use a small loop kernel; other devices run the same uint32
// arithmetic as int64 tensor ops there. Both compute the same integers and
// compare them with the same integer threshold, so a CUDA run draws the
// masks of a CPU run bit for bit (dropout_mask_test checks the two paths
// against each other and against the scalar philox4x32_10 on the CPU).
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace sprout::backend {

// Where a local tensor of n elements lies in the full one, in row-major
// order: runs of `run` consecutive elements, the k-th starting at full index
// k * full_run + offset. A block along one dimension d of a tensor of sizes
// s (start index a, local extent e) is run = e * inner, full_run = s[d] *
// inner, offset = a * inner, inner = the product of the sizes after d.
struct MaskPlacement {
  int64_t run = 0;
  int64_t full_run = 0;
  int64_t offset = 0;
};

// The placement of a whole (unsharded) tensor of `numel` elements.
MaskPlacement whole_tensor(int64_t numel);

// The placement of the block [start, start + local_sizes[dim]) along `dim`
// of a full tensor whose other sizes are local_sizes'.
MaskPlacement block_along(at::IntArrayRef local_sizes, int64_t dim, int64_t start, int64_t full_extent);

// Keep probability 1 - p as a threshold on a uint32 draw: keep iff draw < it.
int64_t keep_threshold(double p);

// 0/1 fp32 keep-mask of `sizes` on `device` (each element kept with
// probability 1 - p), for dropout seed `seed` at `site`.
torch::Tensor philox_keep_mask(at::IntArrayRef sizes, const MaskPlacement& where, double p, uint64_t seed,
                               uint64_t site, const at::Device& device);

// The same mask computed with int64 tensor ops on `device` (what non-CPU
// devices run; exposed so the CPU can check it against the kernel).
torch::Tensor philox_keep_mask_tensor_ops(at::IntArrayRef sizes, const MaskPlacement& where, double p, uint64_t seed,
                                          uint64_t site, const at::Device& device);

}  // namespace sprout::backend
