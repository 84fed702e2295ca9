// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/dropout_mask.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <utility>

#include "model/philox.h"

namespace sprout::backend {
namespace {

constexpr int64_t kLow32 = 0xFFFFFFFFll;

// The full-tensor index of local element i.
int64_t full_index(int64_t i, const MaskPlacement& where) {
  return (i / where.run) * where.full_run + where.offset + i % where.run;
}

// One Philox call per four consecutive full indices (the counter is index
// / 4, the word index % 4), reused while the counter stays the same.
torch::Tensor cpu_keep_mask(at::IntArrayRef sizes, const MaskPlacement& where, int64_t threshold, uint64_t seed,
                            uint64_t site) {
  torch::Tensor out = at::empty(sizes, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const PhiloxKey key = {low_word(seed), high_word(seed)};
  constexpr int64_t kGrain = 16384;
  at::parallel_for(0, out.numel(), kGrain, [&](int64_t begin, int64_t end) {
    uint64_t cached = ~uint64_t{0};
    PhiloxCounter words = {};
    for (int64_t i = begin; i < end; ++i) {
      const auto g = static_cast<uint64_t>(full_index(i, where));
      if (g >> 2 != cached) {
        cached = g >> 2;
        words = philox4x32_10({low_word(cached), high_word(cached), low_word(site), high_word(site)}, key);
      }
      data[i] = static_cast<int64_t>(words[g & 3]) < threshold ? 1.0f : 0.0f;
    }
  });
  return out;
}

// (high, low) 32-bit words of c * m for uint32 values held in int64 tensors,
// from 16-bit halves of m so no intermediate leaves the int64 range.
std::pair<torch::Tensor, torch::Tensor> mul_high_low(const torch::Tensor& c, uint32_t m) {
  const torch::Tensor by_low = c * static_cast<int64_t>(m & 0xFFFFu);  // < 2^48
  const torch::Tensor by_high = c * static_cast<int64_t>(m >> 16);     // < 2^48
  const torch::Tensor low_sum = by_high.bitwise_and(0xFFFF).__lshift__(16) + by_low;
  return {by_high.__rshift__(16) + low_sum.__rshift__(32), low_sum.bitwise_and(kLow32)};
}

}  // namespace

MaskPlacement whole_tensor(int64_t numel) { return {numel, numel, 0}; }

MaskPlacement block_along(at::IntArrayRef local_sizes, int64_t dim, int64_t start, int64_t full_extent) {
  const int64_t inner =
      std::accumulate(local_sizes.begin() + dim + 1, local_sizes.end(), int64_t{1}, std::multiplies<>());
  return {local_sizes[dim] * inner, full_extent * inner, start * inner};
}

int64_t keep_threshold(double p) { return std::llround((1.0 - p) * 4294967296.0); }

torch::Tensor philox_keep_mask(at::IntArrayRef sizes, const MaskPlacement& where, double p, uint64_t seed,
                               uint64_t site, const at::Device& device) {
  if (device.is_cpu()) return cpu_keep_mask(sizes, where, keep_threshold(p), seed, site);
  return philox_keep_mask_tensor_ops(sizes, where, p, seed, site, device);
}

torch::Tensor philox_keep_mask_tensor_ops(at::IntArrayRef sizes, const MaskPlacement& where, double p, uint64_t seed,
                                          uint64_t site, const at::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
  const int64_t n = std::accumulate(sizes.begin(), sizes.end(), int64_t{1}, std::multiplies<>());
  const torch::Tensor i = at::arange(n, options);
  const torch::Tensor g = i.div(where.run, "floor") * where.full_run + where.offset + i.remainder(where.run);
  const torch::Tensor counter = g.__rshift__(2);
  torch::Tensor c0 = counter.bitwise_and(kLow32), c1 = counter.__rshift__(32);
  torch::Tensor c2 = at::full({n}, static_cast<int64_t>(low_word(site)), options);
  torch::Tensor c3 = at::full({n}, static_cast<int64_t>(high_word(site)), options);
  PhiloxKey key = {low_word(seed), high_word(seed)};
  for (int round = 0; round < kPhiloxRounds; ++round) {  // philox4x32_10, word for word
    if (round > 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    auto [high0, low0] = mul_high_low(c0, kPhiloxM0);
    auto [high1, low1] = mul_high_low(c2, kPhiloxM1);
    c0 = high1.bitwise_xor(c1).bitwise_xor(static_cast<int64_t>(key[0]));
    c1 = low1;
    c2 = high0.bitwise_xor(c3).bitwise_xor(static_cast<int64_t>(key[1]));
    c3 = low0;
  }
  const torch::Tensor words = at::stack({c0, c1, c2, c3}, -1);
  const torch::Tensor draw = words.gather(-1, g.bitwise_and(3).unsqueeze(-1)).squeeze(-1);
  return draw.lt(keep_threshold(p)).to(torch::kFloat32).view(sizes);
}

}  // namespace sprout::backend
