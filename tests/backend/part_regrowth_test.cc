// SPDX-License-Identifier: GPL-3.0-or-later
// Shard-local stage boundaries, ranks as threads over Gloo: each rank's
// part of the grown (or re-cut) model, built from the parts of the stage
// before, equals bitwise what cutting the grown full model gives (MSG
// growth on the assembled model, then partition_model: the trainer's path
// through the full model), parameters and Adam moments, under layout
// changes that move every kind of slice (TP2 x DP2 -> TP2 x PP2, PP2 x DP2
// with ZeRO-1 -> TP2 x DP2, TP4 -> PP2 x DP2, DP4 with ZeRO-1 -> TP2 x PP2,
// TP2 x DP2 -> DP4), width, head-size and depth growth, MHA and GQA, tied
// and untied embeddings; and the new entries a rank draws for its slice are
// the full tensor's.
#include "parallel/part_regrowth.h"

#include <gtest/gtest.h>

#include "local_ranks.h"
#include "model/growth.h"
#include "model/growth_init.h"
#include "parallel/optimizer_sharding.h"
#include "parallel/tensor_sharding.h"
#include "partition_fixtures.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {
using test::grid;
using test::random_moments;
using test::run_ranks;

planner::ModelShape with_vocab(planner::ModelShape s, bool tied = true) {
  s.vocab = 64;  // divisible by every tensor-parallel size below
  s.tied_embeddings = tied;
  return s;
}

struct Boundary {
  planner::ModelShape from, to;
  std::array<int, 3> old_grid, new_grid;  // tp, pp, dp
  bool old_zero1 = false;
};

// Every rank's regrown part against the cut of the grown full model.
void expect_regrown_parts_equal_the_cut_full_model(const Boundary& b) {
  const uint64_t seed = 0x5eedULL;
  const GptSettings to{b.to, 0.02, 0.0};
  const StageLayout old_layout = grid(b.old_grid[0], b.old_grid[1], b.old_grid[2], b.from);
  const StageLayout new_layout = grid(b.new_grid[0], b.new_grid[1], b.new_grid[2], b.to);
  at::Generator g = make_cpu_generator(21);
  const GptModel old_full = make_gpt({b.from, 0.02, 0.0}, g);
  const AdamWState old_opt = random_moments(old_full, g, 7);
  GptModel new_full = old_full;
  AdamWState new_opt = old_opt;
  if (!same_shape(b.from, b.to)) {
    GrownModel grown = grow_gpt(old_full, to, 4, seed);
    new_opt = grow_adamw_state(old_opt, old_full, grown);
    new_full = std::move(grown.model);
  }
  run_ranks(4, [&](Communicator& world) {
    const RankShare old_share(old_layout, world.rank()), new_share(new_layout, world.rank());
    ModelPart old_part = partition_model(old_full, old_opt, old_share);
    if (b.old_zero1) {  // each DP rank keeps the moments it owns only (as reshard_moments leaves them)
      old_part.sharding = balanced_sharding(old_part.model.parameters(), old_layout.dp);
      for (size_t j = 0; j < old_part.model.size(); ++j) {
        if (!old_part.sharding.keeps(j, old_share.position().dp)) old_part.optimizer.moments[j] = AdamWMoments{};
      }
    }
    const ModelPart got = regrow_model_part(world, old_part, old_share, to, new_share, seed, "regrowth-test");
    const ModelPart want = partition_model(new_full, new_opt, new_share);
    ASSERT_EQ(got.full_index, want.full_index);
    EXPECT_EQ(got.optimizer.step, 7);
    EXPECT_FALSE(got.sharding.sharded());
    for (size_t j = 0; j < want.model.size(); ++j) {
      const std::string& name = want.model.specs()[j].name;
      EXPECT_EQ(got.model.specs()[j].name, name);
      EXPECT_TRUE(got.model.parameters()[j].requires_grad());
      EXPECT_TRUE(torch::equal(got.model.parameters()[j], want.model.parameters()[j]))
          << "rank " << world.rank() << " " << name;
      EXPECT_TRUE(torch::equal(got.optimizer.moments[j].exp_avg, want.optimizer.moments[j].exp_avg)) << name;
      EXPECT_TRUE(torch::equal(got.optimizer.moments[j].exp_avg_sq, want.optimizer.moments[j].exp_avg_sq)) << name;
    }
  });
}

TEST(PartRegrowth, WidthAndDepthGrowthFromTp2Dp2IntoTp2Pp2) {
  expect_regrown_parts_equal_the_cut_full_model(
      {with_vocab(test::tiny_shape(1, 32, 4)), with_vocab(test::tiny_shape(2, 64, 8)), {2, 1, 2}, {2, 2, 1}});
}

TEST(PartRegrowth, SwiGluGqaUntiedGrowthFromZero1Pp2Dp2IntoTp2Dp2) {
  const auto act = planner::Activation::kSwiglu;
  expect_regrown_parts_equal_the_cut_full_model({with_vocab(test::tiny_shape(2, 32, 4, 0, act, 2), false),
                                                 with_vocab(test::tiny_shape(4, 64, 8, 0, act, 4), false),
                                                 {1, 2, 2},
                                                 {2, 1, 2},
                                                 /*old_zero1=*/true});
}

TEST(PartRegrowth, HeadSizeGrowthFromTp4IntoPp2Dp2) {
  expect_regrown_parts_equal_the_cut_full_model(
      {with_vocab(test::tiny_shape(2, 32, 4)), with_vocab(test::tiny_shape(2, 64, 4)), {4, 1, 1}, {1, 2, 2}});
}

// A data-parallel layout's part is the whole model: into and out of one.
TEST(PartRegrowth, GrowthFromZero1Dp4IntoTp2Pp2AndFromTp2Dp2IntoDp4) {
  const auto small = with_vocab(test::tiny_shape(2, 32, 4)), big = with_vocab(test::tiny_shape(4, 64, 8));
  expect_regrown_parts_equal_the_cut_full_model({small, big, {1, 1, 4}, {2, 2, 1}, /*old_zero1=*/true});
  expect_regrown_parts_equal_the_cut_full_model({small, big, {2, 1, 2}, {1, 1, 4}});
}

TEST(PartRegrowth, ALayoutChangeAloneMovesTheSlicesUnchanged) {
  const auto shape = with_vocab(test::tiny_shape(2, 32, 4));
  expect_regrown_parts_equal_the_cut_full_model({shape, shape, {2, 2, 1}, {4, 1, 1}});
  expect_regrown_parts_equal_the_cut_full_model({shape, shape, {1, 2, 2}, {2, 1, 2}, /*old_zero1=*/true});
}

// A rank's block of a new tensor is drawn alone: the same numbers as the
// whole tensor's, there.
TEST(GrowthInit, ABlockOfANewTensorIsTheWholeTensorsBlock) {
  const GptSettings settings{with_vocab(test::tiny_shape(2, 32, 4)), 0.02, 0.0};
  const auto specs = gpt_parameter_specs(settings.shape);
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto axis = tensor_parallel_axis(specs[i]);
    if (!axis) continue;
    const torch::Tensor whole = grown_parameter_init(specs[i], i, settings, 99);
    const AxisRange range = tensor_parallel_range(specs[i], settings.shape, 2, 1);
    const torch::Tensor block =
        grown_parameter_init(specs[i], i, settings, 99, LogicalBlock{*axis, range.begin, range.end});
    EXPECT_TRUE(torch::equal(block, tensor_parallel_shard(whole, specs[i], settings.shape, 2, 1))) << specs[i].name;
  }
  // N(0, init_std) (residual projections: / sqrt(2 layers), GPT-2), and another seed draws other numbers.
  const GptModel names(settings, specs, std::vector<torch::Tensor>(specs.size()));
  const size_t wq = names.index_of("h.0.attn.wq");
  EXPECT_FALSE(torch::equal(grown_parameter_init(specs[wq], wq, settings, 99),
                            grown_parameter_init(specs[wq], wq, settings, 100)));
  const torch::Tensor embedding = grown_parameter_init(specs[0], 0, settings, 99);
  EXPECT_NEAR(embedding.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(embedding.mean().item<double>(), 0.0, 0.001);
}

}  // namespace
}  // namespace sprout::backend
