// SPDX-License-Identifier: GPL-3.0-or-later
// The CUDA path: the same model and growth on a GPU agree with the CPU,
// recomputation and fused attention agree with the plain forward there, and
// the memory meter reads the caching allocator. Skipped (with the reason)
// when no CUDA device or CUDA libtorch is present.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "device/memory_meter.h"
#include "model/growth.h"
#include "step/fused_attention.h"
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
    GrownModel grown = grow_gpt(gpu, {shape(4, 32, 4), 0.2, 0}, 5, 4);  // head size 8 kept
    const GrowthMasks masks = make_growth_masks(grown.ramp, torch::kCUDA);
    EXPECT_TRUE(torch::allclose(gpt_logits(cpu, x, {}), gpt_logits(grown.model, x.cuda(), {&masks}).cpu(), 1e-4, 1e-4));
  }
}

TEST(Gpu, TheMemoryMeterReadsTheCachingAllocator) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (or a CPU-only libtorch)";
  MemoryMeter meter(torch::Device(torch::kCUDA, 0));
  if (!meter.measures()) GTEST_SKIP() << "built without SPROUT_CUDA";
  const int64_t before = meter.begin_window();
  {
    const torch::Tensor t = torch::zeros({1 << 20}, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA));
    EXPECT_GE(meter.window_peak_bytes(), before + (4 << 20));
  }
  EXPECT_EQ(meter.allocated_bytes(), before);  // allocated, not the cache the allocator keeps
  EXPECT_GE(meter.take_peak_bytes(), before + (4 << 20));
}

TEST(Gpu, RecomputationAndFusedAttentionAgreeWithThePlainForward) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (or a CPU-only libtorch)";
  at::Generator gen = make_cpu_generator(5);
  GptModel m = make_gpt({test::tiny_shape(2, 64, 4), 0.2, 0}, gen, torch::kCUDA);
  const torch::Tensor x = torch::randint(0, 37, {2, 17}, gen, torch::kInt64).cuda();
  const torch::Tensor inputs = x.slice(1, 0, 16), targets = x.slice(1, 1, 17);
  auto loss_and_gradient = [&](ForwardContext ctx) {
    for (auto& p : m.parameters()) p.mutable_grad().reset();
    ctx.training = true;
    torch::Tensor loss = gpt_loss(m, inputs, targets, ctx);
    loss.backward();
    return std::pair{loss.item<double>(), m.parameters()[1].grad().clone()};
  };
  const auto plain = loss_and_gradient({});
  std::vector<ForwardContext> others(2);
  others[0].recompute = planner::Recompute::kSelective;
  others[1].recompute = planner::Recompute::kFull;
  if (fused_attention_available()) others.emplace_back().attention = planner::AttentionKernel::kFlash;
  for (const ForwardContext& ctx : others) {
    const auto other = loss_and_gradient(ctx);
    EXPECT_NEAR(other.first, plain.first, 1e-4);
    EXPECT_TRUE(torch::allclose(other.second, plain.second, 1e-3, 1e-4));
  }
}

}  // namespace
}  // namespace sprout::backend
