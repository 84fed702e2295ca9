// SPDX-License-Identifier: GPL-3.0-or-later
// MSG operators (arXiv 2305.02869; docs/backend.md "MSG growth operators") are function-preserving at mask 0:
// for every operator, the grown model's logits, loss, gradients w.r.t. the
// old parameters and one AdamW step equal the old model's; the mask reaches
// exactly 1 at the end of the ramp and the unmasked path takes over.
#include "model/growth.h"

#include <gtest/gtest.h>
#include <torch/csrc/autograd/function.h>

#include <functional>
#include <unordered_set>

#include "model/adamw.h"
#include "step/gpt_forward.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {

using planner::Activation;
using planner::ModelShape;
using planner::Norm;
using planner::PositionEmbedding;
using test::tiny_shape;

struct GrowthCase {
  std::string name;
  ModelShape from;
  ModelShape to;
};

std::ostream& operator<<(std::ostream& os, const GrowthCase& c) { return os << c.name; }

std::vector<GrowthCase> operators() {
  return {
      // hidden grows with a fixed head count: the head size grows (learned positions only).
      {"hidden_and_head_dim", tiny_shape(2, 16, 2), tiny_shape(2, 32, 2)},
      // hidden grows with a fixed head size: heads are added (plans/tiny-cpu.yaml).
      {"hidden_and_heads", tiny_shape(2, 16, 2), tiny_shape(2, 32, 4)},
      {"ffn_only", tiny_shape(2, 16, 2, 32), tiny_shape(2, 16, 2, 64)},
      {"depth", tiny_shape(2, 16, 2), tiny_shape(4, 16, 2)},
      {"depth_uneven", tiny_shape(3, 16, 2), tiny_shape(5, 16, 2)},
      {"width_and_depth", tiny_shape(2, 16, 2), tiny_shape(3, 32, 4)},
      {"swiglu_gqa_heads", tiny_shape(2, 16, 4, 48, Activation::kSwiglu, 2),
       tiny_shape(2, 32, 8, 96, Activation::kSwiglu, 4)},
      {"swiglu_gqa_head_dim_and_depth", tiny_shape(1, 16, 4, 48, Activation::kSwiglu, 2),
       tiny_shape(2, 32, 4, 96, Activation::kSwiglu, 2)},
  };
}

// Every operator under every position embedding and norm, except head-size
// growth under rotary/xPos, which the planner refuses (its frequencies
// depend on the head size: docs/formulas.md "Growth").
std::vector<GrowthCase> cases() {
  std::vector<GrowthCase> out;
  for (PositionEmbedding position :
       {PositionEmbedding::kLearned, PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
    for (Norm norm : {Norm::kLayerNorm, Norm::kRmsNorm}) {
      for (GrowthCase c : operators()) {
        if (planner::rotates_queries_and_keys(position) && c.from.head_dim() != c.to.head_dim()) continue;
        for (ModelShape* s : {&c.from, &c.to}) {
          s->position = position;
          s->norm = norm;
        }
        c.name += std::string("_") + planner::to_string(position) + "_" + planner::to_string(norm);
        out.push_back(c);
      }
    }
  }
  return out;
}

class GrowthTest : public ::testing::TestWithParam<GrowthCase> {
 protected:
  void SetUp() override {
    at::Generator gen = make_cpu_generator(7);
    old_.emplace(make_gpt({GetParam().from, 0.2, 0.0}, gen));
    at::Generator data = make_cpu_generator(8);
    inputs_ = torch::randint(0, GetParam().from.vocab, {3, GetParam().from.seq_len}, data, torch::kInt64);
    targets_ = torch::randint(0, GetParam().from.vocab, {3, GetParam().from.seq_len}, data, torch::kInt64);
  }

  GrownModel grow(long long grow_steps = 10) { return grow_gpt(*old_, {GetParam().to, 0.2, 0.0}, grow_steps, 99); }

  // The leading block of a grown-model tensor, shaped like the old tensor.
  static torch::Tensor leading(const torch::Tensor& t, const ParameterSpec& new_spec, const ModelShape& to,
                               const ParameterSpec& old_spec, const ModelShape& from) {
    const auto old_logical = logical_sizes(old_spec, from);
    torch::Tensor v = t.view(logical_sizes(new_spec, to));
    for (size_t d = 0; d < old_logical.size(); ++d) v = v.slice(static_cast<int64_t>(d), 0, old_logical[d]);
    return v.reshape(storage_sizes(old_spec, from));
  }

  // The grown tensor with its leading block set to zero (the new entries only).
  static torch::Tensor new_entries(const torch::Tensor& t, const ParameterSpec& new_spec, const ModelShape& to,
                                   const ParameterSpec& old_spec, const ModelShape& from) {
    torch::Tensor copy = t.detach().clone();
    copy_leading_block(torch::zeros(storage_sizes(old_spec, from)), logical_sizes(old_spec, from), copy,
                       logical_sizes(new_spec, to));
    return copy;
  }

  std::optional<GptModel> old_;
  torch::Tensor inputs_, targets_;
};

TEST_P(GrowthTest, LogitsAndLossAtMaskZeroEqualTheOldModel) {
  GrownModel g = grow();
  const GrowthMasks masks = make_growth_masks(g.ramp, torch::kCPU);
  ASSERT_EQ(masks.value, 0.0);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = gpt_logits(*old_, inputs_, {});
  const torch::Tensor b = gpt_logits(g.model, inputs_, {&masks});
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5)) << "max |diff| " << (a - b).abs().max().item<double>();
  const double la = gpt_loss(*old_, inputs_, targets_, {}).item<double>();
  const double lb = gpt_loss(g.model, inputs_, targets_, {&masks}).item<double>();
  EXPECT_NEAR(la, lb, 1e-6 * la);
  // Not trivially equal: without the masks the grown model is another function.
  const torch::Tensor unmasked = gpt_logits(g.model, inputs_, {});
  EXPECT_GT((a - unmasked).abs().max().item<double>(), 1e-3);
}

TEST_P(GrowthTest, GradientsOfOldParametersMatchAndNewOnesAreZero) {
  GrownModel g = grow();
  const GrowthMasks masks = make_growth_masks(g.ramp, torch::kCPU);
  gpt_loss(*old_, inputs_, targets_, {}).backward();
  gpt_loss(g.model, inputs_, targets_, {&masks}).backward();
  const ModelShape& from = old_->shape();
  const ModelShape& to = g.model.shape();
  int compared = 0;
  for (size_t i = 0; i < g.model.size(); ++i) {
    const torch::Tensor& grad = g.model.parameters()[i].grad();
    ASSERT_TRUE(grad.defined()) << g.model.specs()[i].name;
    if (!g.sources[i]) {  // a whole new block: no gradient at mask 0
      EXPECT_EQ(grad.abs().max().item<double>(), 0.0) << g.model.specs()[i].name;
      continue;
    }
    const size_t src = *g.sources[i];
    const auto& old_spec = old_->specs()[src];
    const torch::Tensor want = old_->parameters()[src].grad();
    const torch::Tensor got = leading(grad, g.model.specs()[i], to, old_spec, from);
    EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-6))
        << g.model.specs()[i].name << " max |diff| " << (got - want).abs().max().item<double>();
    EXPECT_EQ(new_entries(grad, g.model.specs()[i], to, old_spec, from).abs().max().item<double>(), 0.0)
        << g.model.specs()[i].name;
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(old_->size()));  // every old parameter has a place
}

TEST_P(GrowthTest, OneAdamWStepAtMaskZeroMatchesOnTheOldBlock) {
  const AdamWSettings settings{0.9, 0.95, 1e-8, 0.1};
  std::vector<bool> old_decay;
  for (const auto& s : old_->specs()) old_decay.push_back(s.weight_decay);
  AdamWState old_state = make_adamw_state(old_->parameters());
  for (int step = 0; step < 2; ++step) {  // non-zero moments and step count to transfer
    for (auto& p : old_->parameters()) p.mutable_grad().reset();
    gpt_loss(*old_, inputs_.roll(step + 1, 1), targets_, {}).backward();
    adamw_step(old_->parameters(), old_decay, old_state, settings, 1e-2);
  }
  GrownModel g = grow();
  AdamWState grown_state = grow_adamw_state(old_state, *old_, g);
  EXPECT_EQ(grown_state.step, old_state.step);
  const GrowthMasks masks = make_growth_masks(g.ramp, torch::kCPU);

  for (auto& p : old_->parameters()) p.mutable_grad().reset();
  gpt_loss(*old_, inputs_, targets_, {}).backward();
  clip_grad_norm(old_->parameters(), 1.0);
  adamw_step(old_->parameters(), old_decay, old_state, settings, 1e-2);

  std::vector<bool> decay;
  for (const auto& s : g.model.specs()) decay.push_back(s.weight_decay);
  gpt_loss(g.model, inputs_, targets_, {&masks}).backward();
  clip_grad_norm(g.model.parameters(), 1.0);
  adamw_step(g.model.parameters(), decay, grown_state, settings, 1e-2);

  for (size_t i = 0; i < g.model.size(); ++i) {
    if (!g.sources[i]) continue;
    const size_t src = *g.sources[i];
    // The key bias adds q.b_k to every score of a query. With learned
    // positions softmax ignores that per-query constant: its exact gradient
    // is 0 and what autograd returns is rounding noise (~1e-10) that Adam's
    // m/sqrt(v) scales up to a full step. Rotary/xPos turn b_k by the key's
    // position, but the low-frequency pairs barely (n theta_i << 1 over a
    // few tokens), so their gradient is nearly 0 too. It is compared as a
    // gradient (the old block's), not as an update.
    if (g.model.specs()[i].name.ends_with("attn.bk")) {
      const torch::Tensor grad = leading(g.model.parameters()[i].grad(), g.model.specs()[i], g.model.shape(),
                                         old_->specs()[src], old_->shape());
      EXPECT_TRUE(torch::allclose(grad, old_->parameters()[src].grad(), 1e-4, 1e-7)) << g.model.specs()[i].name;
      continue;
    }
    const torch::Tensor got = leading(g.model.parameters()[i].detach(), g.model.specs()[i], g.model.shape(),
                                      old_->specs()[src], old_->shape());
    const torch::Tensor want = old_->parameters()[src].detach();
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6))
        << g.model.specs()[i].name << " max |diff| " << (got - want).abs().max().item<double>();
    const torch::Tensor m_got =
        leading(grown_state.moments[i].exp_avg, g.model.specs()[i], g.model.shape(), old_->specs()[src], old_->shape());
    EXPECT_TRUE(torch::allclose(m_got, old_state.moments[src].exp_avg, 1e-4, 1e-8)) << g.model.specs()[i].name;
  }
}

TEST_P(GrowthTest, MaskRampsLinearlyToExactlyOneThenTheMaskedPathIsDropped) {
  GrownModel g = grow(8);
  GrowthRamp ramp = g.ramp;
  for (long long s = 0; s < 8; ++s) {
    ramp.steps_done = s;
    EXPECT_DOUBLE_EQ(ramp.mask_value(), s / 8.0);
    EXPECT_TRUE(ramp.active());
  }
  ramp.steps_done = 8;
  EXPECT_EQ(ramp.mask_value(), 1.0);
  EXPECT_FALSE(ramp.active());
  // At m = 1 the masked function is the plain one, which needs no mask code:
  // the trainer then calls the forward without masks (fewer autograd nodes).
  const GrowthMasks at_one = make_growth_masks(ramp, torch::kCPU);
  const torch::Tensor masked = gpt_logits(g.model, inputs_, {&at_one});
  const torch::Tensor plain = gpt_logits(g.model, inputs_, {});
  EXPECT_TRUE(torch::allclose(masked, plain, 1e-5, 1e-5)) << (masked - plain).abs().max().item<double>();
  auto count_nodes = [](const torch::Tensor& t) {
    std::unordered_set<const torch::autograd::Node*> seen;
    std::function<void(const std::shared_ptr<torch::autograd::Node>&)> walk = [&](const auto& n) {
      if (!n || !seen.insert(n.get()).second) return;
      for (const auto& e : n->next_edges()) walk(e.function);
    };
    walk(t.grad_fn());
    return seen.size();
  };
  EXPECT_LT(count_nodes(plain), count_nodes(masked));
}

INSTANTIATE_TEST_SUITE_P(Operators, GrowthTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DepthGrowthSources, InterleavesNewBlocksEvenly) {
  EXPECT_EQ(depth_growth_sources(2, 4), (std::vector<int>{0, -1, 1, -1}));
  EXPECT_EQ(depth_growth_sources(40, 80).size(), 80u);
  EXPECT_EQ(depth_growth_sources(3, 5), (std::vector<int>{0, -1, 1, 2, -1}));
  EXPECT_EQ(depth_growth_sources(1, 4), (std::vector<int>{-1, -1, 0, -1}));
  EXPECT_EQ(depth_growth_sources(4, 4), (std::vector<int>{0, 1, 2, 3}));
}

TEST(GrowGpt, RefusesShapesThatAreNotGrowth) {
  at::Generator gen = make_cpu_generator(1);
  GptModel m = make_gpt({tiny_shape(2, 32, 4), 0.02, 0}, gen);
  EXPECT_THROW(grow_gpt(m, {tiny_shape(1, 32, 4), 0.02, 0}, 10, 1), std::invalid_argument);  // fewer layers
  EXPECT_THROW(grow_gpt(m, {tiny_shape(2, 48, 8), 0.02, 0}, 10, 1), std::invalid_argument);  // head size 8 -> 6
  // Rotary/xPos: the head size may not grow (8 -> 16), the head count may (4 -> 8 heads of 8).
  for (PositionEmbedding position : {PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
    ModelShape from = tiny_shape(2, 32, 4), wider_heads = tiny_shape(2, 64, 4), more_heads = tiny_shape(2, 64, 8);
    for (ModelShape* s : {&from, &wider_heads, &more_heads}) s->position = position;
    GptModel rotary = make_gpt({from, 0.02, 0}, gen);
    try {
      grow_gpt(rotary, {wider_heads, 0.02, 0}, 10, 1);
      ADD_FAILURE() << "head size 8 -> 16 grown under " << planner::to_string(position);
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("head size hidden/heads from 8 to 16"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(grow_gpt(rotary, {more_heads, 0.02, 0}, 10, 1));
  }
  // The norm is part of the architecture: it does not change at a growth.
  ModelShape rms = tiny_shape(2, 64, 8);
  rms.norm = Norm::kRmsNorm;
  EXPECT_THROW(grow_gpt(m, {rms, 0.02, 0}, 10, 1), std::invalid_argument);
}

}  // namespace
}  // namespace sprout::backend
