// SPDX-License-Identifier: GPL-3.0-or-later
// The data-parallel building blocks on real Gloo ranks (threads of this
// process on loopback): collectives, bucketed gradient averaging, ZeRO-1
// sharding, collective checkpoints, agreement on failures, and the
// collective timeout. Seconds in all.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "checkpoint/checkpoint.h"
#include "comm/rank_agreement.h"
#include "local_ranks.h"
#include "model/gpt_model.h"
#include "parallel/gradient_buckets.h"
#include "parallel/optimizer_sharding.h"
#include "sprout/backend/trainer.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using test::run_ranks;

// Its own generator: ranks are threads, and the global one would be seeded
// and drawn from by all of them at once (a race that made ranks' values differ).
std::vector<torch::Tensor> parameters_of_sizes(const std::vector<int64_t>& sizes, uint64_t seed) {
  at::Generator g = make_cpu_generator(seed);
  std::vector<torch::Tensor> out;
  for (int64_t n : sizes) out.push_back(torch::randn({n}, g).set_requires_grad(true));
  return out;
}

TEST(Gloo, AllReduceBroadcastAndBarrierAcrossThreeRanks) {
  run_ranks(3, [](Communicator& comm) {
    EXPECT_EQ(comm.backend_name(), "gloo");
    const double r = comm.rank();
    // Two tensors of different sizes, each reduced on its own.
    std::vector<torch::Tensor> t = {torch::full({5}, r + 1), torch::arange(3, torch::kFloat64) * r};
    comm.all_reduce_sum(t);
    EXPECT_TRUE(torch::equal(t[0], torch::full({5}, 6.0)));
    EXPECT_TRUE(torch::equal(t[1], torch::arange(3, torch::kFloat64) * 3));
    std::vector<torch::Tensor> b = {torch::full({4}, r)};
    comm.broadcast(b, 2);
    EXPECT_TRUE(torch::equal(b[0], torch::full({4}, 2.0)));
    comm.barrier();
    EXPECT_DOUBLE_EQ(average_scalar(comm, r), 1.0);
    EXPECT_TRUE(any_rank(comm, comm.rank() == 1));
    EXPECT_FALSE(any_rank(comm, false));
  });
}

TEST(GradientBuckets, PackInReverseOrderUpToTheCap) {
  // fp32: 100 elements = 400 bytes. Cap 1000 bytes.
  const auto params = parameters_of_sizes({100, 100, 300, 50, 100, 100}, 1);
  const GradientBuckets b = make_gradient_buckets(params, 1000);
  // Reverse order: 5,4 (800 B) + 3 (200 B) = 1000 fits; 2 (1200 B) alone; 1,0.
  const std::vector<std::vector<size_t>> want = {{5, 4, 3}, {2}, {1, 0}};
  EXPECT_EQ(b.parameters, want);
  EXPECT_EQ(make_gradient_buckets(params, kDefaultBucketBytes).parameters.size(), 1u);
}

TEST(GradientBuckets, AveragingGivesTheMeanOfTheRanksGradients) {
  const std::vector<int64_t> sizes = {70, 3, 250, 16, 9};
  // What each rank's gradients will be: rank-specific random numbers.
  std::vector<std::vector<torch::Tensor>> grads(2);
  for (int r = 0; r < 2; ++r) {
    torch::manual_seed(100 + r);
    for (int64_t n : sizes) grads[r].push_back(torch::randn({n}));
  }
  run_ranks(2, [&](Communicator& comm) {
    auto params = parameters_of_sizes(sizes, 7);
    for (size_t i = 0; i < params.size(); ++i) {
      if (i != 3) params[i].mutable_grad() = grads[comm.rank()][i].clone();  // parameter 3: no gradient
    }
    const GradientBuckets buckets = make_gradient_buckets(params, 400);  // several buckets
    ASSERT_GT(buckets.parameters.size(), 2u);
    average_gradients(comm, params, buckets);
    for (size_t i = 0; i < params.size(); ++i) {
      const torch::Tensor want = i == 3 ? torch::zeros({sizes[i]}) : (grads[0][i] + grads[1][i]) / 2;
      EXPECT_TRUE(torch::allclose(params[i].grad(), want, 1e-7, 1e-7)) << i;
    }

    // Gradients as views into the bucket buffers: backward accumulates
    // straight into them (two backward passes, as with accumulation), and
    // they are reduced in place.
    GradientBuckets attached = make_gradient_buckets(params, 400);
    attach_gradient_buffers(params, attached);
    ASSERT_EQ(attached.buffers.size(), attached.parameters.size());
    for (int pass = 0; pass < 2; ++pass) {
      torch::Tensor loss = torch::zeros({});
      for (size_t i = 0; i < params.size(); ++i) {
        if (i != 3) loss = loss + (params[i] * grads[comm.rank()][i]).sum() / 2;
      }
      loss.backward();
    }
    const auto* first = attached.buffers[0].data_ptr<float>();
    const size_t last_param = attached.parameters[0].front();  // reverse order: the last parameter first
    EXPECT_EQ(params[last_param].grad().data_ptr<float>(), first);
    average_gradients(comm, params, attached);
    for (size_t i = 0; i < params.size(); ++i) {
      const torch::Tensor want = i == 3 ? torch::zeros({sizes[i]}) : (grads[0][i] + grads[1][i]) / 2;
      EXPECT_TRUE(torch::allclose(params[i].grad(), want, 1e-6, 1e-6)) << i;
    }
    EXPECT_EQ(params[last_param].grad().data_ptr<float>(), first);  // still the same buffer
    zero_gradients(params, &attached);
    EXPECT_EQ(params[0].grad().abs().sum().item<float>(), 0.0f);
  });
}

TEST(OptimizerSharding, LongestFirstToTheLeastLoadedRank) {
  const auto params = parameters_of_sizes({40, 100, 10, 60, 50}, 1);
  // 100 -> r0; 60 -> r1; 50 -> r1 (60 < 100); 40 -> r0 (100 < 110); 10 -> r1 (110 < 140).
  EXPECT_EQ(balanced_sharding(params, 2).owner, (std::vector<int>{0, 0, 1, 1, 1}));
  EXPECT_TRUE(balanced_sharding(params, 2).sharded());
  EXPECT_FALSE(replicated_sharding(5).sharded());
  // More ranks than parameters: some own nothing.
  EXPECT_EQ(balanced_sharding(parameters_of_sizes({5, 5}, 1), 3).owner, (std::vector<int>{0, 1}));
}

// A ZeRO-1 update (each rank its own parameters, then broadcast from the
// owners) gives exactly the parameters of a full update on every rank.
TEST(OptimizerSharding, ShardedUpdateEqualsTheFullUpdateBitwise) {
  const std::vector<int64_t> sizes = {64, 33, 128, 7};
  auto reference = parameters_of_sizes(sizes, 3);
  AdamWState full = make_adamw_state(reference);
  const std::vector<bool> decay = {true, false, true, false};
  const AdamWSettings adamw;
  torch::manual_seed(9);
  std::vector<std::vector<torch::Tensor>> step_grads;
  for (int s = 0; s < 3; ++s) {
    step_grads.emplace_back();
    for (int64_t n : sizes) step_grads.back().push_back(torch::randn({n}));
  }
  for (const auto& g : step_grads) {
    for (size_t i = 0; i < reference.size(); ++i) reference[i].mutable_grad() = g[i].clone();
    adamw_step(reference, decay, full, adamw, 1e-2);
  }
  run_ranks(2, [&](Communicator& comm) {
    auto params = parameters_of_sizes(sizes, 3);
    AdamWState state = make_adamw_state(params);
    const OptimizerSharding sharding = balanced_sharding(params, 2);
    reshard_moments(comm, state, params, replicated_sharding(params.size()), sharding);
    EXPECT_LT(moment_elements_held(state), 2 * (64 + 33 + 128 + 7));
    for (const auto& g : step_grads) {
      for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = g[i].clone();
      adamw_step(params, decay, state, adamw, 1e-2);
      broadcast_parameters_from_owners(comm, params, sharding, 200);
    }
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], reference[i])) << i;
    // Gathering the shards back gives every rank the full moments.
    reshard_moments(comm, state, params, sharding, replicated_sharding(params.size()));
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(torch::equal(state.moments[i].exp_avg, full.moments[i].exp_avg)) << i;
      EXPECT_TRUE(torch::equal(state.moments[i].exp_avg_sq, full.moments[i].exp_avg_sq)) << i;
    }
  });
}

TEST(Checkpoint, RanksWriteTheirShardsAndLoadingMergesThem) {
  const std::string dir = sprout::test::make_temp_dir("ckpt-shards");
  run_ranks(2, [&](Communicator& comm) {
    const CheckpointData data =
        comm.rank() == 0 ? CheckpointData{{{"param/w", torch::arange(4.0)}}, "{\"s\": 1}\n"} : CheckpointData{};
    const NamedTensors shard = {{"adam.exp_avg/r" + std::to_string(comm.rank()), torch::full({3}, comm.rank() + 0.5)}};
    const std::string path = write_checkpoint(comm, dir, 12, data, true, shard, 2);
    // Every rank returns only once the checkpoint is published.
    EXPECT_EQ(checkpoint_problem(path), "");
  });
  const LoadedCheckpoint c = load_checkpoint(dir + "/step-000000012");
  ASSERT_EQ(c.data.tensors.size(), 3u);
  EXPECT_EQ(c.data.state_json, "{\"s\": 1}\n");
  std::map<std::string, torch::Tensor> by_name(c.data.tensors.begin(), c.data.tensors.end());
  EXPECT_TRUE(torch::equal(by_name.at("adam.exp_avg/r1"), torch::full({3}, 1.5)));
  EXPECT_TRUE(torch::equal(by_name.at("param/w"), torch::arange(4.0)));
  // A rank's shard cut short is found, and named.
  const std::string shard1 = dir + "/step-000000012/optimizer-rank-00001-of-00002.bin";
  fs::resize_file(shard1, fs::file_size(shard1) - 1);
  EXPECT_NE(checkpoint_problem(dir + "/step-000000012").find("optimizer-rank-00001-of-00002.bin has"),
            std::string::npos);
  EXPECT_FALSE(load_newest_checkpoint(dir).newest);
}

TEST(RankAgreement, BadInputOnOneRankStopsEveryRankWithExitCodeTwo) {
  std::mutex m;
  std::map<int, std::string> seen;
  run_ranks(2, [&](Communicator& comm) {
    try {
      run_on_every_rank(comm, [&] {
        if (comm.rank() == 1) throw planner::InputError({"plan.yaml", 3, 1}, "stages[0].lr", "must be positive");
      });
      ADD_FAILURE() << "rank " << comm.rank() << " went on";
    } catch (const planner::InputError& e) {
      std::lock_guard<std::mutex> lock(m);
      seen[comm.rank()] = e.what();
    }
    // And a runtime failure is one on every rank.
    EXPECT_THROW(run_on_every_rank(comm,
                                   [&] {
                                     if (comm.rank() == 0) throw std::runtime_error("disk full");
                                   }),
                 std::runtime_error);
    run_on_every_rank(comm, [] {});  // nothing failed: nothing thrown
  });
  EXPECT_EQ(seen[1], "plan.yaml:3:1: stages[0].lr: must be positive");
  EXPECT_EQ(seen[0], "sprout-train: rank 0/2: stopped: rank 1 found bad input (its message says which)");
}

TEST(RankAgreement, ReplicasThatDifferAreFoundOnEveryRank) {
  const GptSettings settings{test::tiny_shape(1, 16, 2), 0.02, 0.0};
  run_ranks(2, [&](Communicator& comm) {
    at::Generator g = make_cpu_generator(4);
    GptModel model = make_gpt(settings, g);
    check_replicas_agree(comm, {7, 1}, model.parameters(), "at start");  // the same seed: the same model
    if (comm.rank() == 1) {
      torch::NoGradGuard no_grad;
      model.parameters()[2].view(-1)[0] += 1e-6f;
    }
    try {
      check_replicas_agree(comm, {7, 1}, model.parameters(), "after growth");
      ADD_FAILURE();
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("after growth: the model or step of rank(s) 1 differs"), std::string::npos)
          << e.what();
    }
  });
}

// A rank that stops answering (stuck, or SIGSTOPped) does not hang the
// others: their collective fails after the timeout with one clear line.
TEST(Gloo, ACollectiveWithAnAbsentPeerFailsAfterTheTimeout) {
  const auto timeout = std::chrono::seconds(1);
  std::string message;
  double waited = 0;
  run_ranks(
      2,
      [&](Communicator& comm) {
        comm.barrier();  // both connected
        if (comm.rank() == 1) {
          std::this_thread::sleep_for(std::chrono::seconds(2));  // never joins the all-reduce
          return;
        }
        std::vector<torch::Tensor> t = {torch::ones({8})};
        const auto start = std::chrono::steady_clock::now();
        try {
          comm.all_reduce_sum(t);
        } catch (const CollectiveError& e) {
          message = e.what();
        }
        waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      timeout);
  EXPECT_GE(waited, 0.9);
  EXPECT_LT(waited, 2.5);
  EXPECT_NE(message.find("all_reduce failed on rank 0/2 (gloo): "), std::string::npos) << message;
  EXPECT_NE(message.find("did not answer within 1 s (training.collective_timeout_s)"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

// Why a test of two NCCL ranks cannot run here ("" when it can): it needs
// the SPROUT_CUDA build and a GPU per rank (NCCL refuses two ranks on one).
std::string why_no_two_gpu_nccl() {
#ifndef SPROUT_CUDA
  return "built without SPROUT_CUDA (Debian's libtorch is CPU-only; NCCL needs a CUDA LibTorch)";
#else
  // device_count() is a DeviceIndex (int8_t) in libtorch 2.x: print it as a number.
  const int gpus = static_cast<int>(torch::cuda::device_count());
  return gpus < 2 ? "needs 2 CUDA devices, found " + std::to_string(gpus) : "";
#endif
}

// The NCCL communicator (SPROUT_CUDA build): the same collectives on CUDA
// tensors, CPU scalars staged through the device. Needs two GPUs.
TEST(Nccl, AllReduceAndBroadcastOnCudaTensors) {
  if (const std::string why = why_no_two_gpu_nccl(); !why.empty()) GTEST_SKIP() << why;
  run_ranks(
      2,
      [](Communicator& comm) {
        EXPECT_EQ(comm.backend_name(), "nccl");
        const torch::Device gpu(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.rank()));
        std::vector<torch::Tensor> t = {torch::full({1000}, comm.rank() + 1.0, torch::TensorOptions().device(gpu)),
                                        torch::full({3}, 2.0 * comm.rank(), torch::kFloat64)};  // a CPU scalar set
        comm.all_reduce_sum(t);
        EXPECT_TRUE(torch::equal(t[0].cpu(), torch::full({1000}, 3.0)));
        EXPECT_TRUE(torch::equal(t[1], torch::full({3}, 2.0, torch::kFloat64)));
        std::vector<torch::Tensor> b = {
            torch::full({5}, static_cast<float>(comm.rank()), torch::TensorOptions().device(gpu))};
        comm.broadcast(b, 1);
        EXPECT_TRUE(torch::equal(b[0].cpu(), torch::full({5}, 1.0f)));
        comm.barrier();
      },
      std::chrono::seconds(60), true);
}

// Pipeline messages over NCCL (SPROUT_CUDA build, 2 GPUs): 1F1B's opening
// on two ranks, receives posted ahead of the sends as the pipeline posts
// them. On one stream per rank the first stage's receive of a gradient
// would hold back the activation its peer needs to make that gradient; each
// direction's own channel (connect_peers) lets both progress, and the
// messages arrive in the order they were sent.
TEST(Nccl, PipelineMessagesPostedAheadArriveInOrder) {
  if (const std::string why = why_no_two_gpu_nccl(); !why.empty()) GTEST_SKIP() << why;
  run_ranks(
      2,
      [](Communicator& comm) {
        const torch::Device gpu(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.rank()));
        const auto on_gpu = torch::TensorOptions().device(gpu);
        const int peer = 1 - comm.rank();
        comm.connect_peers({peer});
        constexpr int kMicroBatches = 4;
        std::vector<torch::Tensor> got(kMicroBatches);
        std::vector<std::unique_ptr<PendingCollective>> receives, sends;
        std::vector<torch::Tensor> sent;
        for (int i = 0; i < 2; ++i) {  // two receives posted ahead, as AheadReceives does
          got[i] = torch::empty({1 << 16}, on_gpu);
          receives.push_back(comm.start_recv(got[i], peer, i));
        }
        for (int mb = 0; mb < kMicroBatches; ++mb) {
          if (comm.rank() == 0) {  // first stage: send activation mb, then wait for its gradient
            sent.push_back(torch::full({1 << 16}, 1.0f + mb, on_gpu));
            sends.push_back(comm.start_send(sent.back(), peer, mb));
            receives[mb]->wait();
          } else {  // last stage: the activation, then its gradient back
            receives[mb]->wait();
            sent.push_back(got[mb] * -1);
            sends.push_back(comm.start_send(sent.back(), peer, mb));
          }
          if (mb + 2 < kMicroBatches) {
            got[mb + 2] = torch::empty({1 << 16}, on_gpu);
            receives.push_back(comm.start_recv(got[mb + 2], peer, mb + 2));
          }
        }
        for (auto& s : sends) s->wait();
        for (int mb = 0; mb < kMicroBatches; ++mb) {
          const float want = comm.rank() == 0 ? -(1.0f + mb) : 1.0f + mb;
          EXPECT_TRUE(torch::equal(got[mb].cpu(), torch::full({1 << 16}, want))) << "micro-batch " << mb;
        }
      },
      std::chrono::seconds(60), true);
}

}  // namespace
}  // namespace sprout::backend
