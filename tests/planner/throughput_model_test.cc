// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/throughput_model.h"

#include <gtest/gtest.h>

#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

HardwareProfile a100() { return find_hardware_profile(test::source_path("profiles/hardware/a100-80.yaml")); }

StageWorkload workload(int tp, int pp, int dp, int mb, int v, long long batch) {
  StageWorkload w;
  w.shape = {96, 12288, 96, 96, 4 * 12288, 51200, 2048, Activation::kGelu, PositionEmbedding::kLearned, true};
  w.layout.tp = tp;
  w.layout.pp = pp;
  w.layout.dp = dp;
  w.layout.micro_batch = mb;
  w.layout.interleave = v;
  w.layout.sequence_parallel = tp > 1;
  w.layout.recompute = Recompute::kSelective;
  w.dropout = 0.1;
  w.global_batch_sequences = batch;
  return w;
}

TEST(ThroughputModel, BreakdownSumsToIterationTime) {
  auto est = estimate_iteration(workload(8, 8, 2, 1, 3, 128), a100());
  const auto& b = est.breakdown;
  EXPECT_NEAR(b.compute_s + b.tp_comm_s + b.bubble_s + b.pp_comm_s + b.dp_comm_s + b.optimizer_s + b.other_s,
              est.iteration_s, 1e-12);
  for (double part : {b.compute_s, b.tp_comm_s, b.bubble_s, b.pp_comm_s, b.dp_comm_s, b.optimizer_s}) {
    EXPECT_GT(part, 0);
  }
  EXPECT_NEAR(est.tflops_per_gpu * 1e12 * est.iteration_s * 128, est.model_flops, 1e-6 * est.model_flops);
  EXPECT_NEAR(est.mfu, est.tflops_per_gpu / 312, 1e-12);
}

// 1F1B fill/drain costs (p-1)/(v m) of the ideal pipeline time.
TEST(ThroughputModel, BubbleIsPMinusOneOverVm) {
  for (int v : {1, 2, 3}) {
    for (int batch : {16, 64}) {
      auto est = estimate_iteration(workload(8, 8, 1, 1, v, batch), a100());
      const double ideal = est.breakdown.compute_s + est.breakdown.tp_comm_s;
      const double per_mb_extras = est.micro.last_stage_extra_s;  // logits are not part of a chunk
      const double chunks = ideal - batch * per_mb_extras;
      EXPECT_NEAR(est.breakdown.bubble_s / chunks, 7.0 / (v * batch), 1e-9) << "v=" << v;
    }
  }
}

TEST(ThroughputModel, SelectiveRecomputeCostsLessThanFull) {
  auto w = workload(8, 8, 1, 1, 1, 64);
  auto selective = estimate_iteration(w, a100());
  w.layout.recompute = Recompute::kFull;
  w.layout.sequence_parallel = false;
  auto full = estimate_iteration(w, a100());
  // Korthikanti 2022 Table 5: full/selective iteration time is 1.29-1.32.
  EXPECT_GT(full.iteration_s / selective.iteration_s, 1.2);
  EXPECT_LT(full.iteration_s / selective.iteration_s, 1.45);
  EXPECT_GT(full.hfu, full.mfu * 1.3);  // HFU counts the recomputed forward
}

TEST(ThroughputModel, DataParallelReductionIsRingAllReduceOverTheSlowestLink) {
  auto hw = a100();
  auto w = workload(8, 1, 16, 1, 1, 16 * 4);
  w.shape.layers = 8;
  w.overlap_grad_reduce = false;
  auto est = estimate_iteration(w, hw);
  // The whole model on one pipeline stage: its layers, embedding and final norm, over TP 8.
  const double params =
      (8 * parameters_per_layer(w.shape) + embedding_parameters(w.shape) + norm_parameters(w.shape)) / 8;
  // One DP rank per node at TP8: the ring crosses a NIC at every hop.
  const double expected =
      2.0 * 15 / 16 * params * 4 / (hw.inter_node_gb_per_s * 1e9) + 2 * 15 * hw.inter_node_latency_us * 1e-6;
  EXPECT_NEAR(est.breakdown.dp_comm_s, expected, 1e-9);
  w.overlap_grad_reduce = true;
  EXPECT_LT(estimate_iteration(w, hw).breakdown.dp_comm_s, expected);
}

TEST(ThroughputModel, FlashAttentionRemovesTheQuadraticMemoryTraffic) {
  auto w = workload(8, 1, 1, 1, 1, 8);
  w.shape.seq_len = 8192;
  auto standard = estimate_iteration(w, a100());
  w.attention = AttentionKernel::kFlash;
  auto flash = estimate_iteration(w, a100());
  EXPECT_LT(flash.iteration_s, standard.iteration_s * 0.9);
}

TEST(ThroughputModel, RotaryAndXposMoveQueriesAndKeysOnceAndNormsCostTheSame) {
  auto w = workload(8, 8, 1, 1, 1, 64);
  const auto learned = estimate_iteration(w, a100());
  w.shape.position = PositionEmbedding::kRotary;
  const auto rotary = estimate_iteration(w, a100());
  w.shape.position = PositionEmbedding::kXpos;
  const auto xpos = estimate_iteration(w, a100());
  // xPos folds its scale into the rotation tables: the same bytes as rotary.
  EXPECT_EQ(xpos.micro.forward_s, rotary.micro.forward_s);
  EXPECT_GT(rotary.micro.forward_s, learned.micro.forward_s);
  w.shape.norm = Norm::kRmsNorm;
  const auto rms = estimate_iteration(w, a100());
  // RMSNorm reads and writes what LayerNorm does; only its gains are fewer (no biases).
  EXPECT_EQ(rms.micro.forward_s, xpos.micro.forward_s);
  EXPECT_LT(rms.breakdown.optimizer_s, xpos.breakdown.optimizer_s);
}

TEST(ThroughputModel, GlobalBatchIsRoundedToDataParallelTimesMicroBatch) {
  auto w = workload(4, 4, 12, 1, 1, 2104);  // FLM-101B: 4.31M tokens = 2104.5 sequences
  auto est = estimate_iteration(w, a100());
  EXPECT_EQ(est.micro_batches, 175);
  EXPECT_EQ(est.global_batch_sequences, 2100);
}

}  // namespace
}  // namespace sprout::planner
