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
using test::tiny_shape;

TEST(GptModel, ParameterCountEqualsThePlannersFormula) {
  for (auto shape : {tiny_shape(3, 32, 4), tiny_shape(2, 48, 6, 0, Activation::kSwiglu, 2)}) {
    for (bool tied : {true, false}) {
      shape.tied_embeddings = tied;
      at::Generator gen = make_cpu_generator(1);
      GptModel m = make_gpt({shape, 0.02, 0}, gen);
      EXPECT_EQ(static_cast<double>(m.parameter_count()), planner::parameter_count(shape))
          << planner::to_string(shape.activation) << " tied=" << tied;
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

TEST(GptModel, AttentionIsCausal) {
  at::Generator gen = make_cpu_generator(5);
  GptModel m = make_gpt({tiny_shape(2, 16, 2), 0.2, 0}, gen);
  torch::Tensor a = torch::randint(0, 37, {2, 12}, gen, torch::kInt64);
  torch::Tensor b = a.clone();
  b.slice(1, 7, 12).fill_(3);  // change the future only
  torch::NoGradGuard no_grad;
  const auto la = gpt_logits(m, a, {});
  const auto lb = gpt_logits(m, b, {});
  EXPECT_TRUE(torch::equal(la.slice(1, 0, 7), lb.slice(1, 0, 7)));
  EXPECT_FALSE(torch::allclose(la.slice(1, 7, 12), lb.slice(1, 7, 12)));
}

TEST(GptModel, UntrainedLossIsLogVocab) {
  at::Generator gen = make_cpu_generator(9);
  GptModel m = make_gpt({tiny_shape(2, 16, 2), 1e-4, 0}, gen);
  torch::Tensor x = torch::randint(0, 37, {4, 12}, gen, torch::kInt64);
  torch::NoGradGuard no_grad;
  EXPECT_NEAR(gpt_loss(m, x, x.roll(1, 1), {}).item<double>(), std::log(37.0), 1e-3);
}

TEST(GptModel, MaskedLayerNormWithAllOnesIsLayerNorm) {
  at::Generator gen = make_cpu_generator(11);
  torch::Tensor x = torch::randn({5, 16}, gen, torch::TensorOptions());
  torch::Tensor w = torch::randn({16}, gen, torch::TensorOptions());
  torch::Tensor b = torch::randn({16}, gen, torch::TensorOptions());
  torch::Tensor ref = at::layer_norm(x, {16}, w, b, 1e-5);
  EXPECT_TRUE(torch::allclose(masked_layer_norm(x, w, b, torch::ones({16})), ref, 1e-5, 1e-5));
  // With c = 1 on the first 8 dims and 0 elsewhere it normalises those 8 alone.
  torch::Tensor c = torch::cat({torch::ones({8}), torch::zeros({8})});
  torch::Tensor half = at::layer_norm(x.slice(1, 0, 8), {8}, w.slice(0, 0, 8), b.slice(0, 0, 8), 1e-5);
  torch::Tensor got = masked_layer_norm(x, w, b, c);
  EXPECT_TRUE(torch::allclose(got.slice(1, 0, 8), half, 1e-5, 1e-5));
  EXPECT_EQ(got.slice(1, 8, 16).abs().max().item<double>(), 0.0);
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
