// SPDX-License-Identifier: GPL-3.0-or-later
// The GPT: parameter counts agree with the planner's formula (docs/formulas.md
// "Parameters"), attention is causal, and an untrained model predicts
// uniformly (loss = ln V).
#include "model/gpt_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sprout/planner/model/model_shape.h"
#include "step/gpt_forward.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {

using planner::Activation;
using planner::Norm;
using planner::PositionEmbedding;
using test::tiny_shape;

TEST(GptModel, ParameterCountEqualsThePlannersFormula) {
  for (auto shape : {tiny_shape(3, 32, 4), tiny_shape(2, 48, 6, 0, Activation::kSwiglu, 2)}) {
    for (bool tied : {true, false}) {
      for (auto position : {PositionEmbedding::kLearned, PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
        for (auto norm : {Norm::kLayerNorm, Norm::kRmsNorm}) {
          shape.tied_embeddings = tied;
          shape.position = position;
          shape.norm = norm;
          at::Generator gen = make_cpu_generator(1);
          GptModel m = make_gpt({shape, 0.02, 0}, gen);
          EXPECT_EQ(static_cast<double>(m.parameter_count()), planner::parameter_count(shape))
              << planner::to_string(shape.activation) << " tied=" << tied << " " << planner::to_string(position) << " "
              << planner::to_string(norm);
          // Rotary and xPos have no position table; an RMSNorm has no bias.
          EXPECT_EQ(m.contains("wpe"), position == PositionEmbedding::kLearned);
          EXPECT_EQ(m.contains("h.0.ln1.bias"), norm == Norm::kLayerNorm);
          EXPECT_EQ(m.contains("ln_f.bias"), norm == Norm::kLayerNorm);
        }
      }
    }
  }
}

TEST(GptModel, InitialisationFollowsInitStd) {
  at::Generator gen = make_cpu_generator(3);
  GptModel m = make_gpt({tiny_shape(2, 64, 4), 0.05, 0}, gen);
  EXPECT_NEAR(m.get("h.0.attn.wq").std().item<double>(), 0.05, 0.005);
  // Residual projections are scaled by 1/sqrt(2 layers) (GPT-2).
  EXPECT_NEAR(m.get("h.1.mlp.w2").std().item<double>(), 0.05 / 2.0, 0.003);
  EXPECT_EQ(m.get("h.0.ln1.weight").sum().item<double>(), 64.0);
  EXPECT_EQ(m.get("h.0.attn.bq").abs().sum().item<double>(), 0.0);
}

TEST(GptModel, AttentionIsCausalUnderEveryPositionEmbedding) {
  for (auto position : {PositionEmbedding::kLearned, PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
    planner::ModelShape shape = tiny_shape(2, 16, 2);
    shape.position = position;
    at::Generator gen = make_cpu_generator(5);
    GptModel m = make_gpt({shape, 0.2, 0}, gen);
    torch::Tensor a = torch::randint(0, 37, {2, 12}, gen, torch::kInt64);
    torch::Tensor b = a.clone();
    b.slice(1, 7, 12).fill_(3);  // change the future only
    torch::NoGradGuard no_grad;
    const auto la = gpt_logits(m, a, {});
    const auto lb = gpt_logits(m, b, {});
    EXPECT_TRUE(torch::equal(la.slice(1, 0, 7), lb.slice(1, 0, 7))) << planner::to_string(position);
    EXPECT_FALSE(torch::allclose(la.slice(1, 7, 12), lb.slice(1, 7, 12))) << planner::to_string(position);
  }
}

TEST(GptModel, UntrainedLossIsLogVocab) {
  at::Generator gen = make_cpu_generator(9);
  GptModel m = make_gpt({tiny_shape(2, 16, 2), 1e-4, 0}, gen);
  torch::Tensor x = torch::randint(0, 37, {4, 12}, gen, torch::kInt64);
  torch::NoGradGuard no_grad;
  EXPECT_NEAR(gpt_loss(m, x, x.roll(1, 1), {}).item<double>(), std::log(37.0), 1e-3);
}

}  // namespace
}  // namespace sprout::backend

namespace sprout::backend {
namespace {

// Dropout masks come from the micro-batch's seed alone: the same seed draws
// the same masks, another seed others; evaluation has no dropout.
TEST(GptModel, DropoutMasksFollowTheMicroBatchSeed) {
  at::Generator init = make_cpu_generator(2);
  GptModel m = make_gpt({test::tiny_shape(2, 16, 2), 0.2, 0.3}, init);
  torch::Tensor x = torch::randint(0, 37, {2, 12}, init, torch::kInt64);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = gpt_logits(m, x, {nullptr, true, 3});
  const torch::Tensor plain = gpt_logits(m, x, {});
  EXPECT_TRUE(torch::equal(gpt_logits(m, x, {nullptr, true, 3}), a));
  EXPECT_FALSE(torch::allclose(gpt_logits(m, x, {nullptr, true, 4}), a));
  EXPECT_TRUE(torch::equal(gpt_logits(m, x, {}), plain));
  EXPECT_FALSE(torch::allclose(plain, a));
}

}  // namespace
}  // namespace sprout::backend
