// SPDX-License-Identifier: GPL-3.0-or-later
// Philox4x32-10 against the published known-answer vectors (Random123's
// kat_vectors), and the dropout masks drawn from it: the CPU kernel and the
// tensor-op path (what a GPU runs) agree bit for bit, a block of the full
// tensor draws exactly the full mask's block, the keep rate is 1 - p.
#include "step/dropout_mask.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/philox.h"

namespace sprout::backend {
namespace {

// philox4x32 10 <counter> <key> -> <output> (Salmon et al. 2011; Random123 kat_vectors).
static_assert(philox4x32_10({0, 0, 0, 0}, {0, 0}) == PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});

TEST(Philox, KnownAnswerVectors) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}), (PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;  // both key words in use
constexpr uint64_t kSite = (uint64_t{7} << 32) | 5u;

// Each element is kept iff word index % 4 of Philox(index / 4, site) under
// the seed's key is below the threshold.
TEST(DropoutMask, EachElementIsItsPhiloxDraw) {
  const torch::Tensor mask = philox_keep_mask({3, 5, 7}, whole_tensor(105), 0.3, kSeed, kSite, torch::kCPU);
  const float* m = mask.data_ptr<float>();
  for (uint32_t i = 0; i < 105; ++i) {
    const PhiloxCounter words = philox4x32_10({i / 4, 0, 5, 7}, {0x7f4a7c15u, 0x9e3779b9u});
    EXPECT_EQ(m[i], static_cast<int64_t>(words[i % 4]) < keep_threshold(0.3) ? 1.0f : 0.0f) << i;
  }
}

// What a CUDA run computes (the same integers as tensor ops) is the CPU mask.
TEST(DropoutMask, TensorOpsMatchTheCpuKernel) {
  const std::vector<int64_t> sizes = {2, 3, 64, 64};
  const MaskPlacement whole = whole_tensor(2 * 3 * 64 * 64);
  const MaskPlacement block = block_along(sizes, 1, 3, 6);
  for (const MaskPlacement& where : {whole, block}) {
    const torch::Tensor cpu = philox_keep_mask(sizes, where, 0.1, kSeed, kSite, torch::kCPU);
    const torch::Tensor ops = philox_keep_mask_tensor_ops(sizes, where, 0.1, kSeed, kSite, torch::kCPU);
    EXPECT_TRUE(at::equal(cpu, ops));
  }
}

// Tensor parallelism holds a block of heads, sequence parallelism a block of
// positions: each draws its block of the full mask, nothing else.
TEST(DropoutMask, BlocksOfTheFullTensorDrawTheFullMasksBlocks) {
  const std::vector<int64_t> full = {2, 4, 8, 8};
  const torch::Tensor whole = philox_keep_mask(full, whole_tensor(2 * 4 * 8 * 8), 0.5, kSeed, 1, torch::kCPU);
  for (int64_t dim : {1, 2}) {
    for (int64_t rank = 0; rank < 2; ++rank) {
      std::vector<int64_t> local = full;
      local[dim] /= 2;
      const torch::Tensor part =
          philox_keep_mask(local, block_along(local, dim, rank * local[dim], full[dim]), 0.5, kSeed, 1, torch::kCPU);
      EXPECT_TRUE(at::equal(part, whole.narrow(dim, rank * local[dim], local[dim]))) << dim << " " << rank;
    }
  }
}

TEST(DropoutMask, KeepsOneMinusPAndDependsOnSeedAndSite) {
  const int64_t n = 1 << 20;
  const torch::Tensor a = philox_keep_mask({n}, whole_tensor(n), 0.1, kSeed, 3, torch::kCPU);
  EXPECT_NEAR(a.mean().item<double>(), 0.9, 0.002);  // binomial sd 0.0003
  EXPECT_FALSE(at::equal(a, philox_keep_mask({n}, whole_tensor(n), 0.1, kSeed, 4, torch::kCPU)));
  EXPECT_FALSE(at::equal(a, philox_keep_mask({n}, whole_tensor(n), 0.1, kSeed + 1, 3, torch::kCPU)));
}

}  // namespace
}  // namespace sprout::backend
