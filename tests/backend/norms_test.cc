// SPDX-License-Identifier: GPL-3.0-or-later
// LayerNorm and RMSNorm, plain and MSG-masked (model/norms.h): the masked
// forms are the plain ones at c = 1 and, at c = 0 on the new dimensions,
// the old model's norm over the old dimensions with 0 on the new ones
// (docs/formulas.md "Growth").
#include "model/norms.h"

#include <gtest/gtest.h>

#include "model/gpt_model.h"

namespace sprout::backend {
namespace {

struct Inputs {
  torch::Tensor x, w, b;
};

Inputs inputs(uint64_t seed) {
  at::Generator gen = make_cpu_generator(seed);
  return {torch::randn({5, 16}, gen, torch::TensorOptions()), torch::randn({16}, gen, torch::TensorOptions()),
          torch::randn({16}, gen, torch::TensorOptions())};
}

// c = 1 on the first 8 (old) dimensions, m on the 8 new ones.
torch::Tensor half_mask(double m) { return torch::cat({torch::ones({8}), torch::full({8}, m)}); }

TEST(Norms, MaskedLayerNormWithAllOnesIsLayerNorm) {
  const auto [x, w, b] = inputs(11);
  const torch::Tensor ref = at::layer_norm(x, {16}, w, b, 1e-5);
  EXPECT_TRUE(torch::allclose(masked_layer_norm(x, w, b, torch::ones({16})), ref, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(layer_norm(x, w, b), ref, 1e-6, 1e-6));
  // With c = 1 on the first 8 dims and 0 elsewhere it normalises those 8 alone.
  const torch::Tensor half = at::layer_norm(x.slice(1, 0, 8), {8}, w.slice(0, 0, 8), b.slice(0, 0, 8), 1e-5);
  const torch::Tensor got = masked_layer_norm(x, w, b, half_mask(0));
  EXPECT_TRUE(torch::allclose(got.slice(1, 0, 8), half, 1e-5, 1e-5));
  EXPECT_EQ(got.slice(1, 8, 16).abs().max().item<double>(), 0.0);
}

TEST(Norms, RmsNormDividesByTheRootMeanSquare) {
  const auto [x, w, b] = inputs(12);
  // Zhang and Sennrich 2019 eq. 4, written out: x_i / sqrt(mean_j x_j^2 + eps) * g_i.
  for (int64_t row = 0; row < 5; ++row) {
    double mean_square = 0;
    for (int64_t j = 0; j < 16; ++j) mean_square += x[row][j].item<double>() * x[row][j].item<double>() / 16;
    for (int64_t i = 0; i < 16; ++i) {
      const double want = x[row][i].item<double>() / std::sqrt(mean_square + 1e-5) * w[i].item<double>();
      EXPECT_NEAR(rms_norm(x, w)[row][i].item<double>(), want, 1e-5) << row << " " << i;
    }
  }
}

TEST(Norms, MaskedRmsNormIsTheOldNormAtZeroAndThePlainOneAtOne) {
  const auto [x, w, b] = inputs(13);
  EXPECT_TRUE(torch::allclose(masked_rms_norm(x, w, torch::ones({16})), rms_norm(x, w), 1e-6, 1e-6));
  // At m = 0: the RMSNorm of the 8 old dims alone, whatever the new dims of x hold; 0 on the new dims.
  const torch::Tensor old = rms_norm(x.slice(1, 0, 8), w.slice(0, 0, 8));
  const torch::Tensor got = masked_rms_norm(x, w, half_mask(0));
  EXPECT_TRUE(torch::allclose(got.slice(1, 0, 8), old, 1e-6, 1e-6));
  EXPECT_EQ(got.slice(1, 8, 16).abs().max().item<double>(), 0.0);
  // The plain RMSNorm over the grown width is not the old one (the mean divides by 16, not 8).
  EXPECT_FALSE(torch::allclose(rms_norm(x, w).slice(1, 0, 8), old, 1e-3, 1e-3));
  // In between it moves smoothly from one end to the other.
  const torch::Tensor near_zero = masked_rms_norm(x, w, half_mask(1e-6));
  EXPECT_TRUE(torch::allclose(near_zero.slice(1, 0, 8), old, 1e-4, 1e-4));
}

}  // namespace
}  // namespace sprout::backend
