// SPDX-License-Identifier: GPL-3.0-or-later
// The CUDA path: the same model and growth on a GPU agree with the CPU.
// Skipped (with the reason) when no CUDA device or CUDA libtorch is present.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "model/growth.h"
#include "step/gpt_forward.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {

TEST(Gpu, ForwardAndGrowthMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (or a CPU-only libtorch)";
  using planner::PositionEmbedding;
  for (auto [position, norm] : {std::pair{PositionEmbedding::kLearned, planner::Norm::kLayerNorm},
                                std::pair{PositionEmbedding::kRotary, planner::Norm::kRmsNorm},
                                std::pair{PositionEmbedding::kXpos, planner::Norm::kLayerNorm}}) {
    SCOPED_TRACE(planner::to_string(position));
    auto shape = [&](int layers, int hidden, int heads) {
      planner::ModelShape s = test::tiny_shape(layers, hidden, heads);
      s.position = position;
      s.norm = norm;
      return s;
    };
    at::Generator gen = make_cpu_generator(3);
    GptModel cpu = make_gpt({shape(2, 16, 2), 0.2, 0}, gen);
    at::Generator gen2 = make_cpu_generator(3);
    GptModel gpu = make_gpt({shape(2, 16, 2), 0.2, 0}, gen2, torch::kCUDA);
    torch::Tensor x = torch::randint(0, 37, {2, 12}, gen, torch::kInt64);
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(gpt_logits(cpu, x, {}), gpt_logits(gpu, x.cuda(), {}).cpu(), 1e-4, 1e-4));
    at::Generator g = make_cpu_generator(4);
    GrownModel grown = grow_gpt(gpu, {shape(4, 32, 4), 0.2, 0}, 5, g);  // head size 8 kept
    const GrowthMasks masks = make_growth_masks(grown.ramp, torch::kCUDA);
    EXPECT_TRUE(torch::allclose(gpt_logits(cpu, x, {}), gpt_logits(grown.model, x.cuda(), {&masks}).cpu(), 1e-4, 1e-4));
  }
}

}  // namespace
}  // namespace sprout::backend
