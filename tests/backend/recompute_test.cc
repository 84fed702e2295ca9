// SPDX-License-Identifier: GPL-3.0-or-later
// Activation recomputation (step/recompute.h): full and selective
// recomputation give the loss and every gradient of no recomputation bit
// for bit (fp32, CPU), with dropout, GQA + SwiGLU, and an MSG growth ramp;
// the fused-attention rules (step/fused_attention.h) refuse what this
// LibTorch cannot run.
#include "step/recompute.h"

#include <gtest/gtest.h>

#include "model/growth.h"
#include "sprout/planner/io/plan_loader.h"
#include "step/fused_attention.h"
#include "step/gpt_forward.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {

using planner::Activation;
using planner::Recompute;
using test::tiny_shape;

struct LossAndGradients {
  torch::Tensor loss;
  std::vector<torch::Tensor> gradients;
};

LossAndGradients loss_and_gradients(GptModel& m, const torch::Tensor& tokens, const GrowthMasks* masks,
                                    Recompute recompute) {
  for (auto& p : m.parameters()) p.mutable_grad().reset();
  ForwardContext ctx{masks, true, 77};
  ctx.recompute = recompute;
  const torch::Tensor inputs = tokens.slice(1, 0, tokens.size(1) - 1);
  const torch::Tensor targets = tokens.slice(1, 1, tokens.size(1));
  // Two micro-batches: the second accumulates into the first's gradients.
  LossAndGradients out;
  for (int micro_batch = 0; micro_batch < 2; ++micro_batch) {
    ctx.dropout_seed = 77 + static_cast<uint64_t>(micro_batch);
    torch::Tensor loss = gpt_loss(m, inputs, targets, ctx);
    loss.backward();
    out.loss = micro_batch == 0 ? loss.detach() : out.loss + loss.detach();
  }
  for (auto& p : m.parameters()) out.gradients.push_back(p.grad().clone());
  return out;
}

void expect_recompute_changes_nothing(GptModel& m, const GrowthMasks* masks, const std::string& what) {
  at::Generator gen = make_cpu_generator(11);
  const torch::Tensor tokens = torch::randint(0, m.shape().vocab, {3, m.shape().seq_len + 1}, gen, torch::kInt64);
  const LossAndGradients plain = loss_and_gradients(m, tokens, masks, Recompute::kNone);
  for (Recompute rc : {Recompute::kSelective, Recompute::kFull}) {
    const LossAndGradients again = loss_and_gradients(m, tokens, masks, rc);
    EXPECT_TRUE(torch::equal(again.loss, plain.loss)) << what << " " << planner::to_string(rc);
    ASSERT_EQ(again.gradients.size(), plain.gradients.size());
    for (size_t i = 0; i < plain.gradients.size(); ++i) {
      EXPECT_TRUE(torch::equal(again.gradients[i], plain.gradients[i]))
          << what << " " << planner::to_string(rc) << ": " << m.specs()[i].name;
    }
  }
}

TEST(Recompute, FullAndSelectiveGiveTheSameLossAndGradientsBitForBit) {
  at::Generator gen = make_cpu_generator(3);
  GptModel gelu = make_gpt({tiny_shape(3, 32, 4), 0.2, 0.1}, gen);  // dropout: the re-run draws the same masks
  expect_recompute_changes_nothing(gelu, nullptr, "gelu, dropout 0.1");
  GptModel swiglu = make_gpt({tiny_shape(2, 48, 6, 0, Activation::kSwiglu, 2), 0.2, 0.0}, gen);
  expect_recompute_changes_nothing(swiglu, nullptr, "swiglu, gqa");
}

TEST(Recompute, AnMsgRampIsRecomputedWithItsMasks) {
  at::Generator gen = make_cpu_generator(5);
  const GptModel small = make_gpt({tiny_shape(1, 32, 2), 0.2, 0.1}, gen);
  GrownModel grown = grow_gpt(small, {tiny_shape(2, 64, 4), 0.2, 0.1}, 4, 5);
  grown.ramp.steps_done = 1;  // mask 1/4: every mask site is live
  const GrowthMasks masks = make_growth_masks(grown.ramp, torch::kCPU);
  expect_recompute_changes_nothing(grown.model, &masks, "width + depth ramp");
}

TEST(Recompute, WithoutGradientsNothingIsWrapped) {
  at::Generator gen = make_cpu_generator(7);
  GptModel m = make_gpt({tiny_shape(2, 32, 4), 0.2, 0.0}, gen);
  const torch::Tensor tokens = torch::randint(0, 37, {2, 12}, gen, torch::kInt64);
  ForwardContext ctx;
  ctx.recompute = Recompute::kFull;
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = gpt_logits(m, tokens, ctx);
  EXPECT_FALSE(logits.requires_grad());
  EXPECT_TRUE(torch::equal(logits, gpt_logits(m, tokens, {})));
}

TEST(Recompute, APieceWithParametersPassesTheirGradients) {
  const torch::Tensor w = torch::tensor({2.0, 3.0}).requires_grad_(true);
  const torch::Tensor x = torch::tensor({5.0, 7.0}).requires_grad_(true);
  int runs = 0;
  const ForwardPiece piece = [&](const std::vector<torch::Tensor>& in) {
    ++runs;
    return std::vector<torch::Tensor>{(in[0] * w).sin()};
  };
  const torch::Tensor y = run_recomputed(piece, {x}, {w})[0];
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(y.requires_grad());
  y.sum().backward();
  EXPECT_EQ(runs, 2);  // once more in the backward pass
  EXPECT_TRUE(torch::allclose(w.grad(), (x * w).cos().detach() * x.detach()));
  EXPECT_TRUE(torch::allclose(x.grad(), (x * w).cos().detach() * w.detach()));
}

// A one-stage plan with `attention` and `dropout` in its model: section.
planner::Plan plan_with(const std::string& attention, double dropout) {
  const std::string yaml =
      "name: t\nhardware: cpu-generic\ngpus: 1\nregion: us-average\n"
      "model: {vocab: 256, seq_len: 32, attention: " +
      attention + ", dropout: " + std::to_string(dropout) +
      "}\n"
      "stages:\n  - {name: a, layers: 1, hidden: 32, heads: 2, tokens: 4096, global_batch_tokens: 512, lr: 1e-3}\n";
  return planner::load_plan_from_string(yaml, "plan.yaml");
}

std::string refusal(const planner::Plan& plan) {
  try {
    check_attention_kernels(plan);
  } catch (const planner::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(FusedAttention, FlashWithDropoutIsRefusedOnEveryLibTorch) {
  EXPECT_EQ(refusal(plan_with("standard", 0.1)), "");
  const std::string why = refusal(plan_with("flash", 0.1));
  EXPECT_EQ(why.rfind("plan.yaml:5:", 0), 0u) << why;
  EXPECT_NE(why.find("stages[0].attention: flash with dropout 0.1 is refused: the fused kernel draws its dropout "
                     "masks from the device RNG"),
            std::string::npos)
      << why;
}

TEST(FusedAttention, FlashNeedsLibTorch2) {
  const std::string why = refusal(plan_with("flash", 0));
  if (fused_attention_available()) {
    EXPECT_EQ(why, "");
    // The fused kernel computes what the unfused core does (GQA: repeated heads).
    at::Generator gen = make_cpu_generator(9);
    GptModel m = make_gpt({tiny_shape(2, 48, 6, 0, Activation::kSwiglu, 2), 0.2, 0.0}, gen);
    const torch::Tensor tokens = torch::randint(0, 37, {2, 12}, gen, torch::kInt64);
    ForwardContext flash;
    flash.attention = planner::AttentionKernel::kFlash;
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(gpt_logits(m, tokens, flash), gpt_logits(m, tokens, {}), 1e-5, 1e-5));
    return;
  }
  EXPECT_EQ(why,
            "plan.yaml:5:45: stages[0].attention: flash needs a LibTorch with scaled_dot_product_attention "
            "(2.x); this build has LibTorch " +
                libtorch_version() + ": use attention: standard");
  EXPECT_THROW(
      fused_causal_attention(torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 2, 2}), 1.0),
      std::logic_error);
}

}  // namespace
}  // namespace sprout::backend
