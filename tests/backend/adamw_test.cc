// SPDX-License-Identifier: GPL-3.0-or-later
// Our AdamW against LibTorch's own torch::optim::AdamW (the reference
// implementation of Loshchilov & Hutter 2019), and gradient clipping against
// the definition.
#include "model/adamw.h"

#include <gtest/gtest.h>
#include <torch/optim/adamw.h>

namespace sprout::backend {
namespace {

TEST(AdamW, MatchesTorchOptimAdamWOverSeveralSteps) {
  torch::manual_seed(0);
  torch::Tensor init = torch::randn({7, 5});
  torch::Tensor ours = init.clone().set_requires_grad(true);
  torch::Tensor theirs = init.clone().set_requires_grad(true);
  torch::optim::AdamW ref({theirs}, torch::optim::AdamWOptions(3e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1));
  std::vector<torch::Tensor> params = {ours};
  AdamWState state = make_adamw_state(params);
  for (int step = 0; step < 5; ++step) {
    torch::Tensor g = torch::randn({7, 5});
    params[0].mutable_grad() = g.clone();
    theirs.mutable_grad() = g.clone();
    adamw_step(params, {true}, state, {0.9, 0.95, 1e-8, 0.1}, 3e-2);
    ref.step();
  }
  EXPECT_EQ(state.step, 5);
  EXPECT_TRUE(torch::allclose(ours, theirs, 1e-6, 1e-7)) << (ours - theirs).abs().max().item<double>();
  EXPECT_FALSE(torch::allclose(ours, init, 1e-3, 1e-3));
}

TEST(AdamW, NoDecayForParametersMarkedSo) {
  std::vector<torch::Tensor> params = {torch::ones({3}).set_requires_grad(true)};
  params[0].mutable_grad() = torch::zeros({3});
  AdamWState state = make_adamw_state(params);
  adamw_step(params, {false}, state, {0.9, 0.95, 1e-8, 0.5}, 0.1);
  EXPECT_TRUE(torch::equal(params[0], torch::ones({3})));
  adamw_step(params, {true}, state, {0.9, 0.95, 1e-8, 0.5}, 0.1);
  EXPECT_NEAR(params[0][0].item<double>(), 1.0 - 0.1 * 0.5, 1e-7);
}

TEST(ClipGradNorm, ScalesToMaxNormAndReturnsTheNormBefore) {
  std::vector<torch::Tensor> params = {torch::zeros({2}).set_requires_grad(true),
                                       torch::zeros({1}).set_requires_grad(true)};
  params[0].mutable_grad() = torch::tensor({3.0f, 0.0f});
  params[1].mutable_grad() = torch::tensor({4.0f});
  EXPECT_NEAR(clip_grad_norm(params, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(params[0].grad()[0].item<double>(), 0.6, 1e-5);
  EXPECT_NEAR(params[1].grad()[0].item<double>(), 0.8, 1e-5);
  EXPECT_NEAR(clip_grad_norm(params, 10.0), 1.0, 1e-5);  // below the limit: untouched
  EXPECT_NEAR(params[1].grad()[0].item<double>(), 0.8, 1e-5);
}

}  // namespace
}  // namespace sprout::backend
