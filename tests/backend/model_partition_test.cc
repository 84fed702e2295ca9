// SPDX-License-Identifier: GPL-3.0-or-later
// Tensor/pipeline parallelism in pieces, ranks as threads over Gloo:
// process groups split from the world talk only among themselves (p2p
// included); cutting a model into per-rank parts and assembling it back is
// bitwise exact under every layout; the tensor-parallel forward (vocab-
// parallel embedding and cross-entropy, column/row-parallel layers, MSG masks
// cut to the slice) gives the full model's loss and each rank the slice of
// the full gradient; sharded checkpoints written under one layout load
// bitwise under another.
#include "parallel/model_partition.h"

#include <gtest/gtest.h>

#include "checkpoint/checkpoint.h"
#include "local_ranks.h"
#include "parallel/process_groups.h"
#include "parallel/tensor_sharding.h"
#include "partition_fixtures.h"
#include "step/gpt_forward.h"
#include "test_paths.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {
using test::grid;
using test::random_moments;
using test::run_ranks;

planner::ModelShape shape_with_vocab(planner::ModelShape s) {
  s.vocab = 64;  // divisible by the tensor-parallel sizes below
  return s;
}

TEST(StageLayout, LayersAreBalancedByFlopsWithTheOutputLayerOnTheLastStage) {
  EXPECT_EQ(balanced_chunk_layers(test::tiny_shape(4, 32, 2), 2), (std::vector<int>{2, 2}));  // vocab 37: cheap
  auto big_vocab = test::tiny_shape(4, 16, 2);
  big_vocab.vocab = 4096;  // the output layer costs more than all four blocks: the last stage gets one block
  EXPECT_EQ(balanced_chunk_layers(big_vocab, 2), (std::vector<int>{3, 1}));
  EXPECT_THROW(balanced_chunk_layers(test::tiny_shape(1, 32, 2), 2), std::invalid_argument);
  // TP fastest, then PP, then DP: rank 5 of TP2 x PP2 x DP2 is tp 1, pp 0, dp 1.
  StageLayout l = grid(2, 2, 2, test::tiny_shape(2, 32, 2));
  EXPECT_EQ(tensor_parallel_members(l, 5), (std::vector<int>{4, 5}));
  EXPECT_EQ(pipeline_members(l, 5), (std::vector<int>{5, 7}));
  EXPECT_EQ(data_parallel_members(l, 5), (std::vector<int>{1, 5}));
  EXPECT_EQ(embedding_members(l, 5), (std::vector<int>{5, 7}));
}

TEST(ProcessGroups, GroupsOfATp2Pp2LayoutTalkOnlyAmongThemselves) {
  const auto shape = shape_with_vocab(test::tiny_shape(2, 16, 2));
  const StageLayout layout = grid(2, 2, 1, shape);
  std::vector<double> tp_sum(4), received(4);
  run_ranks(4, [&](Communicator& world) {
    ProcessGroups g = make_process_groups(world, layout);
    const int me = world.rank();
    // TP groups are {0, 1} and {2, 3} (tensor parallelism fastest-varying).
    std::vector<torch::Tensor> t = {torch::full({1}, static_cast<double>(me + 1), torch::kFloat64)};
    g.tensor->all_reduce_sum(t);
    tp_sum[static_cast<size_t>(me)] = t[0].item<double>();
    // Pipeline groups are {0, 2} and {1, 3}: stage 0 sends to stage 1.
    torch::Tensor x = torch::full({3}, static_cast<float>(10 * me), torch::kFloat32);
    if (g.pipeline->rank() == 0) {
      g.pipeline->start_send(x, 1, 7)->wait();
    } else {
      g.pipeline->start_recv(x, 0, 7)->wait();
      received[static_cast<size_t>(me)] = x[2].item<double>();
    }
    EXPECT_EQ(g.data->world_size(), 1);
    EXPECT_TRUE(g.embedding != nullptr);  // pp = 2: both stages hold the tied embedding
  });
  EXPECT_EQ(tp_sum, (std::vector<double>{3, 3, 7, 7}));
  EXPECT_EQ(received[2], 0);   // from rank 0
  EXPECT_EQ(received[3], 10);  // from rank 1
}

TEST(ModelPartition, PartsAssembleBackToTheFullModelBitwiseUnderEveryLayout) {
  for (const bool tied : {true, false}) {
    auto shape = shape_with_vocab(test::tiny_shape(2, 32, 8, 0, planner::Activation::kSwiglu, 4));
    shape.tied_embeddings = tied;
    const GptSettings settings{shape, 0.02, 0.0};
    for (const auto& [tp, pp, dp] : {std::tuple{2, 2, 1}, {2, 1, 2}, {1, 2, 2}, {4, 1, 1}}) {
      const StageLayout layout = grid(tp, pp, dp, shape);
      run_ranks(4, [&](Communicator& world) {
        at::Generator g = make_cpu_generator(11);
        const GptModel full = make_gpt(settings, g);
        const AdamWState opt = random_moments(full, g, 5);
        const RankShare share(layout, world.rank());
        const ModelPart part = partition_model(full, opt, share);
        // A split parameter holds 1/tp of the full one on this rank.
        const size_t wq = part.model.index_of("h." + std::to_string(share.position().pp) + ".attn.wq");
        EXPECT_EQ(part.model.parameters()[wq].numel() * tp, full.get("h.0.attn.wq").numel());

        GptModel assembled = make_gpt(settings, g);  // other values everywhere
        AdamWState assembled_opt = make_adamw_state(assembled.parameters());
        assemble_full_model(world, part, share, assembled, assembled_opt);
        EXPECT_EQ(assembled_opt.step, 5);
        for (size_t i = 0; i < full.size(); ++i) {
          EXPECT_TRUE(torch::equal(assembled.parameters()[i], full.parameters()[i])) << full.specs()[i].name;
          EXPECT_TRUE(torch::equal(assembled_opt.moments[i].exp_avg, opt.moments[i].exp_avg));
          EXPECT_TRUE(torch::equal(assembled_opt.moments[i].exp_avg_sq, opt.moments[i].exp_avg_sq));
        }
      });
    }
  }
}

TEST(ShardedCheckpoint, SavedUnderOneLayoutLoadedUnderAnotherAndBackIsBitwise) {
  auto shape = shape_with_vocab(test::tiny_shape(2, 32, 8, 0, planner::Activation::kSwiglu, 4));
  shape.tied_embeddings = false;
  const GptSettings settings{shape, 0.02, 0.0};
  at::Generator g = make_cpu_generator(12);
  const GptModel original = make_gpt(settings, g);
  const AdamWState original_opt = random_moments(original, g, 5);
  const std::string dir = sprout::test::make_temp_dir("sharded-checkpoint");
  std::string missing_slice_error, missing_slice_expected;
  run_ranks(4, [&](Communicator& world) {
    GptModel model = original;
    AdamWState opt = original_opt;
    long long step = 1;
    // TP2 x PP2 -> TP4 -> PP2 x DP2 -> TP2 x PP2: each loads the previous one's shards.
    for (const auto& [tp, pp, dp] : {std::tuple{2, 2, 1}, {4, 1, 1}, {1, 2, 2}, {2, 2, 1}}) {
      const RankShare share(grid(tp, pp, dp, shape), world.rank());
      const ModelPart part = partition_model(model, opt, share);
      const std::string written = write_checkpoint(world, dir, step++, {}, true, checkpoint_shard(part, share), 10);
      const LoadedCheckpoint loaded = load_checkpoint(written);
      const std::map<std::string, torch::Tensor> tensors(loaded.data.tensors.begin(), loaded.data.tensors.end());
      std::vector<torch::Tensor> params;
      for (size_t i = 0; i < original.size(); ++i) {
        const ParameterSpec& spec = original.specs()[i];
        params.push_back(checkpoint_tensor(tensors, "param/" + spec.name, spec, shape));
        opt.moments[i] = {checkpoint_tensor(tensors, "adam.exp_avg/" + spec.name, spec, shape),
                          checkpoint_tensor(tensors, "adam.exp_avg_sq/" + spec.name, spec, shape)};
        EXPECT_TRUE(torch::equal(params[i], original.parameters()[i])) << spec.name << " under TP" << tp;
        EXPECT_TRUE(torch::equal(opt.moments[i].exp_avg, original_opt.moments[i].exp_avg)) << spec.name;
        EXPECT_TRUE(torch::equal(opt.moments[i].exp_avg_sq, original_opt.moments[i].exp_avg_sq)) << spec.name;
      }
      model = GptModel(settings, original.specs(), std::move(params));
      if (world.rank() == 0 && tp == 4) {
        // A shard that is not there: the tensor is named, not silently zero.
        std::map<std::string, torch::Tensor> incomplete = tensors;
        const auto slice = incomplete.lower_bound("param/h.1.mlp.w_up#");  // TP rank 0's quarter
        const int64_t extent = shape.ffn_hidden;
        missing_slice_expected = "checkpoint tensor param/h.1.mlp.w_up: its slices cover " +
                                 std::to_string(extent - extent / 4) + " of " + std::to_string(extent) +
                                 " units exactly once (a shard is missing or overlaps)";
        incomplete.erase(slice);
        try {
          checkpoint_tensor(incomplete, "param/h.1.mlp.w_up", original.specs()[original.index_of("h.1.mlp.w_up")],
                            shape);
        } catch (const std::runtime_error& e) {
          missing_slice_error = e.what();
        }
      }
    }
  });
  EXPECT_EQ(missing_slice_error, missing_slice_expected);
}

// Loss and gradients of the TP2 forward against the full model on one rank
// (in training mode: with the model's dropout, whose masks must agree).
void expect_tensor_parallel_matches(const GptModel& full, const GrowthMasks* masks, bool sequence_parallel = false,
                                    bool training = false) {
  const uint64_t dropout_seed = 77;
  at::Generator g = make_cpu_generator(3);
  const auto& shape = full.shape();
  const torch::Tensor tokens = torch::randint(shape.vocab, {3, shape.seq_len + 1}, g, torch::kInt64);
  const torch::Tensor inputs = tokens.narrow(1, 0, shape.seq_len), targets = tokens.narrow(1, 1, shape.seq_len);
  GptModel reference = full;
  for (auto& p : reference.parameters()) p.mutable_grad() = torch::Tensor();
  const torch::Tensor loss = gpt_loss(reference, inputs, targets, {masks, training, dropout_seed});
  loss.backward();
  const StageLayout layout = grid(2, 1, 1, shape);
  run_ranks(2, [&](Communicator& world) {
    ProcessGroups groups = make_process_groups(world, layout);
    const RankShare share(layout, world.rank());
    ModelPart part = partition_model(full, make_adamw_state(full.parameters()), share);
    ForwardContext ctx{masks, training, dropout_seed};
    ctx.tp = {groups.tensor.get(), share.position().tp, 2, sequence_parallel};
    const torch::Tensor local = gpt_loss(part.model, inputs, targets, ctx);
    local.backward();
    if (sequence_parallel) sum_sequence_parallel_gradients(part, *groups.tensor);
    EXPECT_NEAR(local.item<double>(), loss.item<double>(), 1e-6 * loss.item<double>());
    for (size_t j = 0; j < part.model.size(); ++j) {
      const size_t i = part.full_index[j];
      const torch::Tensor want =
          tensor_parallel_shard(reference.parameters()[i].grad(), full.specs()[i], shape, 2, share.position().tp);
      EXPECT_TRUE(torch::allclose(part.model.parameters()[j].grad(), want, 1e-4, 1e-6)) << full.specs()[i].name;
    }
  });
}

TEST(TensorParallelForward, SwiGluGqaUntiedMatchesTheFullModel) {
  auto shape = shape_with_vocab(test::tiny_shape(2, 32, 4, 0, planner::Activation::kSwiglu, 2));
  shape.tied_embeddings = false;
  at::Generator g = make_cpu_generator(8);
  expect_tensor_parallel_matches(make_gpt({shape, 0.02, 0.0}, g), nullptr);
}

TEST(TensorParallelForward, GeluUnderAnMsgRampOfHeadsFfnAndDepthMatchesTheFullModel) {
  const auto from = shape_with_vocab(test::tiny_shape(1, 16, 2));
  auto to = shape_with_vocab(test::tiny_shape(2, 32, 4));
  at::Generator g = make_cpu_generator(9);
  const GptModel old = make_gpt({from, 0.02, 0.0}, g);
  GrownModel grown = grow_gpt(old, {to, 0.02, 0.0}, 4, 9);
  grown.ramp.steps_done = 2;  // mask 0.5: every masked path contributes
  const GrowthMasks masks = make_growth_masks(grown.ramp, torch::kCPU);
  expect_tensor_parallel_matches(grown.model, &masks);
  expect_tensor_parallel_matches(grown.model, &masks, /*sequence_parallel=*/true);
}

// Sequence parallelism (Korthikanti et al. 2022): LayerNorms, dropout and
// the residual stream on half the positions per rank; the all-gather and
// reduce-scatter around the tensor-parallel regions and the summed
// gradients of the replicated parameters give the full model's loss and
// gradients. With dropout the masks are the full model's, cut per rank.
TEST(TensorParallelForward, SequenceParallelWithDropoutMatchesTheFullModel) {
  at::Generator g = make_cpu_generator(10);
  const GptModel with_dropout = make_gpt({shape_with_vocab(test::tiny_shape(2, 32, 4)), 0.02, 0.2}, g);
  expect_tensor_parallel_matches(with_dropout, nullptr, /*sequence_parallel=*/false, /*training=*/true);
  expect_tensor_parallel_matches(with_dropout, nullptr, /*sequence_parallel=*/true, /*training=*/true);
  auto swiglu = shape_with_vocab(test::tiny_shape(2, 32, 4, 0, planner::Activation::kSwiglu, 2));
  swiglu.tied_embeddings = false;
  expect_tensor_parallel_matches(make_gpt({swiglu, 0.02, 0.1}, g), nullptr, true, true);
}

}  // namespace
}  // namespace sprout::backend
