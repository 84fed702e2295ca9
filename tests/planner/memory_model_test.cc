// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/memory_model.h"

#include <gtest/gtest.h>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

ModelShape gpt_shape(int l, int h, int a, int v = 51200) {
  return {l, h, a, a, 4 * h, v, 2048, Activation::kGelu, PositionEmbedding::kLearned, true};
}

ParallelLayout layout(int tp, int pp, int dp, Recompute rc, bool sp, int mb = 1) {
  ParallelLayout p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.micro_batch = mb;
  p.recompute = rc;
  p.sequence_parallel = sp;
  return p;
}

// Korthikanti et al. 2022, Table 2 (with dropout): bytes per layer.
TEST(MemoryModel, ActivationsMatchKorthikantiTable2) {
  const auto m = gpt_shape(96, 12288, 96);
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8;
  const double sbh = s * b * h;
  auto bytes = [&](ParallelLayout p) { return activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0.1); };
  EXPECT_NEAR(bytes(layout(1, 1, 1, Recompute::kNone, false)), sbh * (34 + 5 * a * s / h), 1);
  EXPECT_NEAR(bytes(layout(8, 1, 1, Recompute::kNone, false)), sbh * (10 + 24 / t + 5 * a * s / (h * t)), 1);
  EXPECT_NEAR(bytes(layout(8, 1, 1, Recompute::kNone, true)), sbh / t * (34 + 5 * a * s / h), 1);
  EXPECT_NEAR(bytes(layout(8, 1, 1, Recompute::kSelective, true)), 34 * sbh / t, 1);
  EXPECT_NEAR(bytes(layout(8, 1, 1, Recompute::kSelective, false)), sbh * (10 + 24 / t), 1);
  EXPECT_NEAR(bytes(layout(8, 1, 1, Recompute::kFull, false)), 2 * sbh, 1);
}

TEST(MemoryModel, NoDropoutDropsTheMasks) {
  const auto m = gpt_shape(96, 12288, 96);
  const double sbh = 2048.0 * 12288, a = 96, s = 2048, h = 12288;
  auto p = layout(1, 1, 1, Recompute::kNone, false);
  // Without dropout: 2 hidden masks gone and the s^2 term keeps only the softmax output.
  EXPECT_NEAR(activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0), sbh * (32 + 2 * a * s / h), 1);
  EXPECT_NEAR(activation_bytes_per_layer(m, p, AttentionKernel::kFlash, 0), sbh * 32, 1);
}

// sprout-train's footprint (docs/formulas.md "Activation memory of
// sprout-train"), term by term for one layer: fp32 keeps 16 s b h + a s^2 b
// elements (MHA + GELU, no dropout) and the concatenated QKV weight.
TEST(MemoryModel, SproutTrainKeepsWhatItsAutogradKeeps) {
  const ModelShape m = {2, 128, 4, 4, 512, 256, 128, Activation::kGelu, PositionEmbedding::kLearned, true};
  const double sbh = 128.0 * 4 * 128, sb = 128.0 * 4, scores = 4 * 128.0 * 128 * 4, qkv_weight = 3 * 128.0 * 128;
  auto p = layout(1, 1, 1, Recompute::kNone, false, 4);
  const auto fp32 = ActivationFootprint::kSproutTrainFp32;
  const auto kept = [&](Recompute rc) {
    p.recompute = rc;
    return activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0, fp32);
  };
  EXPECT_DOUBLE_EQ(kept(Recompute::kNone), 4 * (16 * sbh + 4 * sb + scores + qkv_weight));
  EXPECT_DOUBLE_EQ(kept(Recompute::kSelective), 4 * (16 * sbh + 4 * sb + qkv_weight));
  EXPECT_DOUBLE_EQ(kept(Recompute::kFull), 4 * sbh);
  // bf16 autocast: the residual stream stays fp32, the rest is bf16 copies.
  p.recompute = Recompute::kNone;
  EXPECT_LT(activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0, ActivationFootprint::kSproutTrainBf16),
            0.7 * kept(Recompute::kNone));
  // The peak orders as the kept bytes do, and the default footprint is Megatron's.
  double last = 1e30;
  for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    p.recompute = rc;
    const double peak = activation_bytes_per_gpu(m, p, AttentionKernel::kStandard, 0, 1, fp32);
    EXPECT_LT(peak, last) << to_string(rc);
    last = peak;
  }
  EXPECT_EQ(activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0.1),
            activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0.1, ActivationFootprint::kMegatronFp16));
  EXPECT_EQ(sprout_train_footprint("bf16"), ActivationFootprint::kSproutTrainBf16);
  EXPECT_THROW(sprout_train_footprint("fp16"), std::invalid_argument);
}

TEST(MemoryModel, ModelStatesAre18BytesPerParameterOr6PlusTwelveOverDp) {
  HardwareProfile hw;
  hw.hbm_gb = 80;
  const auto m = gpt_shape(40, 5760, 80, 100256);
  auto plain = layout(2, 1, 96, Recompute::kSelective, false);
  auto mem = memory_per_gpu(m, plain, AttentionKernel::kStandard, 0.1, 24, hw);
  const double params = mem.parameters_per_gpu;
  EXPECT_NEAR(params, parameter_count(m) / 2, 0.001 * parameter_count(m));
  EXPECT_NEAR(mem.weights_gb + mem.gradients_gb + mem.optimizer_gb, 18 * params / 1e9, 1e-6);
  auto zero1 = plain;
  zero1.distributed_optimizer = true;
  mem = memory_per_gpu(m, zero1, AttentionKernel::kStandard, 0.1, 24, hw);
  EXPECT_NEAR(mem.weights_gb + mem.gradients_gb + mem.optimizer_gb, (6 + 12.0 / 96) * params / 1e9, 1e-6);
}

// sprout-train keeps fp32 parameters and gradients and AdamW's two fp32
// moments: 16 bytes a parameter (Rajbhandari et al. 2020, ZeRO, sec. 3.1's
// accounting without a 16-bit copy), 8 + 8/DP under its ZeRO-1; its
// activations are its own footprint's, not Korthikanti's.
TEST(MemoryModel, SproutTrainModelStatesAre16BytesPerParameterOr8PlusEightOverDp) {
  HardwareProfile hw;
  const auto m = gpt_shape(4, 256, 8, 256);
  auto p = layout(1, 1, 4, Recompute::kNone, false, 4);
  for (auto footprint : {ActivationFootprint::kSproutTrainFp32, ActivationFootprint::kSproutTrainBf16}) {
    auto mem = memory_per_gpu(m, p, AttentionKernel::kStandard, 0, 8, hw, footprint);
    const double params = mem.parameters_per_gpu;
    EXPECT_NEAR(params, parameter_count(m), 1e-6 * parameter_count(m));
    EXPECT_NEAR(mem.weights_gb, 4 * params / 1e9, 1e-12);
    EXPECT_NEAR(mem.gradients_gb, 4 * params / 1e9, 1e-12);
    EXPECT_NEAR(mem.optimizer_gb, 8 * params / 1e9, 1e-12);
    EXPECT_NEAR(mem.activations_gb * 1e9, activation_bytes_per_gpu(m, p, AttentionKernel::kStandard, 0, 8, footprint),
                1e-3);
    auto zero1 = p;
    zero1.distributed_optimizer = true;
    mem = memory_per_gpu(m, zero1, AttentionKernel::kStandard, 0, 8, hw, footprint);
    EXPECT_NEAR(mem.weights_gb + mem.gradients_gb + mem.optimizer_gb, (8 + 8.0 / 4) * params / 1e9, 1e-12);
  }
  // Megatron's 18 bytes and Korthikanti's activations by default.
  const auto megatron = memory_per_gpu(m, p, AttentionKernel::kStandard, 0, 8, hw);
  EXPECT_NEAR(megatron.weights_gb + megatron.gradients_gb + megatron.optimizer_gb,
              18 * megatron.parameters_per_gpu / 1e9, 1e-12);
  EXPECT_EQ(memory_footprint_of(Framework::kSproutTrain, "bf16"), ActivationFootprint::kSproutTrainBf16);
  EXPECT_EQ(memory_footprint_of(Framework::kMegatronLm, "bf16"), ActivationFootprint::kMegatronFp16);
  // Uneven stages count each stage's own states in the trainer's bytes too.
  auto uneven = layout(1, 3, 1, Recompute::kNone, false, 4);
  uneven.stage_layers = {1, 2, 1};
  const auto stages =
      memory_per_gpu(m, uneven, AttentionKernel::kStandard, 0, 8, hw, ActivationFootprint::kSproutTrainFp32);
  EXPECT_NEAR(stages.weights_gb + stages.gradients_gb + stages.optimizer_gb, 16 * stages.parameters_per_gpu / 1e9,
              1e-12);
  EXPECT_GT(stages.activations_gb, 0);
}

// A plan trained by sprout-train is sized by sprout-train's memory: `sprout
// plan`'s GB/GPU and what fits.
TEST(MemoryModel, APlanForSproutTrainIsSizedByTheTrainersMemory) {
  const Plan plan = load_plan(test::source_path("plans/cpu-matrix/gelu-mha-fp32-learned.yaml"));
  const Stage& st = plan.stages.front();
  ASSERT_EQ(st.framework, Framework::kSproutTrain);
  const PlanEstimate est = estimate_plan(plan);
  const StageEstimate& se = est.stages.front();
  const auto trainer = memory_per_gpu(st.shape, se.layout, st.attention, st.dropout, se.iteration.micro_batches,
                                      plan.cluster.hardware, ActivationFootprint::kSproutTrainFp32);
  EXPECT_DOUBLE_EQ(se.memory.total_gb(), trainer.total_gb());
  const auto megatron =
      memory_per_gpu(st.shape, se.layout, st.attention, st.dropout, se.iteration.micro_batches, plan.cluster.hardware);
  EXPECT_NE(se.memory.total_gb(), megatron.total_gb());
}

// Each end of a pipeline holds one vocabulary x hidden matrix: the first
// the token embedding (with learned positions), the last the output matrix
// (a tied embedding's copy, or the untied head) and the final norm; a single
// stage holds a tied matrix once and an untied model's two.
TEST(MemoryModel, EachPipelineEndHoldsOneVocabularyMatrix) {
  auto m = gpt_shape(8, 1024, 16, 50000);
  const double layer = parameters_per_layer(m), matrix = 50000.0 * 1024, positions = 2048.0 * 1024;
  const double norm = 2.0 * 1024;  // LayerNorm: weight and bias
  const auto four = layout(1, 4, 1, Recompute::kNone, false);
  for (bool tied : {true, false}) {
    m.tied_embeddings = tied;
    // Learned positions make the first stage the larger end.
    EXPECT_DOUBLE_EQ(stage_parameters_per_gpu(m, four), 2 * layer + matrix + positions) << tied;
    EXPECT_DOUBLE_EQ(stage_parameters_per_gpu(m, layout(1, 1, 1, Recompute::kNone, false)),
                     8 * layer + (tied ? 1 : 2) * matrix + positions + norm)
        << tied;
  }
  m.position = PositionEmbedding::kRotary;  // then the last, with the final norm
  EXPECT_DOUBLE_EQ(stage_parameters_per_gpu(m, four), 2 * layer + matrix + norm);
}

// During the MSG ramp after a width growth, sprout-train's masked
// LayerNorms keep two fp32 h-vectors a token where at::layer_norm keeps one,
// and bf16 autocast promotes the masked FFN pre-activation to fp32: a plan's
// wide stage needs that on top of its activations (checked against the
// trainer's measured peak in ActivationMemory.AWidthRampsPeak...); a depth
// growth, the first stage and Megatron-LM's footprint have no such term.
TEST(MemoryModel, AWidthRampAddsTheMaskedNormsAndThePromotedFfnActivations) {
  Plan plan = load_plan(test::source_path("plans/cpu-matrix/gelu-mha-bf16-learned-widen.yaml"));
  PlanEstimate est = estimate_plan(plan);
  ASSERT_EQ(est.stages.size(), 2u);
  EXPECT_EQ(est.stages[0].memory.growth_ramp_gb, 0);
  // The wide stage: 2 x 256, FFN 1024, sequence 64, micro-batch 32, bf16,
  // one micro-batch in flight: kept per layer, two norms' s b h fp32 and the
  // FFN's s b f x 2 bytes more; at the peak, the final norm's s b h fp32 and
  // the FFN gradients' s b f x 2 bytes more.
  const double sbh = 64.0 * 32 * 256, sbf = 64.0 * 32 * 1024;
  const MemoryBreakdown& wide = est.stages[1].memory;
  EXPECT_NEAR(wide.growth_ramp_gb, (2 * (2 * sbh * 4 + sbf * 2) + sbh * 4 + sbf * 2) / 1e9, 1e-15);
  EXPECT_NEAR(wide.total_gb(),
              wide.weights_gb + wide.gradients_gb + wide.optimizer_gb + wide.activations_gb + wide.growth_ramp_gb +
                  wide.reserved_gb,
              1e-15);
  // What does not fit during the ramp is refused, saying so.
  Plan tight = plan;
  tight.cluster.hardware.hbm_gb = wide.total_gb() - wide.growth_ramp_gb / 2;
  try {
    estimate_plan(tight);
    ADD_FAILURE() << "the ramp's peak fits in " << tight.cluster.hardware.hbm_gb << " GB";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("growth ramp"), std::string::npos) << e.what();
  }
  // Megatron-LM's footprint: not modelled.
  for (Stage& st : plan.stages) st.framework = Framework::kMegatronLm;
  EXPECT_EQ(estimate_plan(plan).stages[1].memory.growth_ramp_gb, 0);
  const Plan deeper = load_plan(test::source_path("plans/cpu-matrix/gelu-mha-bf16-rotary-deepen.yaml"));
  EXPECT_EQ(estimate_plan(deeper).stages[1].memory.growth_ramp_gb, 0);
}

TEST(MemoryModel, A101BModelOnOneGpuIsRejectedWithAReason) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  const auto& m = plan.stages.back().shape;
  auto mem = memory_per_gpu(m, layout(1, 1, 192, Recompute::kFull, false), AttentionKernel::kStandard, 0.1, 11,
                            plan.cluster.hardware);
  auto problem = memory_problem(mem, plan.cluster.hardware);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("but a800 has 80 GB"), std::string::npos) << *problem;
  EXPECT_GT(mem.total_gb(), 1000);  // 101.7B x 18 bytes alone is 1.8 TB
}

TEST(MemoryModel, PublishedFlmLayoutsFit) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  for (const auto& st : plan.stages) {
    ASSERT_TRUE(st.parallel.has_value());
    const int m = 24;
    auto mem = memory_per_gpu(st.shape, *st.parallel, st.attention, st.dropout, m, plan.cluster.hardware);
    EXPECT_FALSE(memory_problem(mem, plan.cluster.hardware).has_value()) << st.name << " " << mem.total_gb();
    EXPECT_GT(mem.total_gb(), 40) << st.name;  // and they are not trivially small
  }
}

TEST(MemoryModel, PipelineKeepsPInFlightMicroBatchesOnTheFirstStage) {
  HardwareProfile hw;
  const auto m = gpt_shape(32, 4096, 32);
  auto p = layout(1, 4, 1, Recompute::kNone, false);
  const double per_layer = activation_bytes_per_layer(m, p, AttentionKernel::kStandard, 0.1);
  const double logits = 4.0 * 2048 * 51200;
  auto many = memory_per_gpu(m, p, AttentionKernel::kStandard, 0.1, 16, hw);
  EXPECT_NEAR(many.activations_gb * 1e9, 8 * 4 * per_layer + logits, 1);  // 8 layers x 4 in flight
  auto few = memory_per_gpu(m, p, AttentionKernel::kStandard, 0.1, 2, hw);
  EXPECT_NEAR(few.activations_gb * 1e9, 8 * 2 * per_layer + logits, 1);
  p.interleave = 2;
  auto inter = memory_per_gpu(m, p, AttentionKernel::kStandard, 0.1, 16, hw);
  EXPECT_NEAR(inter.activations_gb * 1e9, 8 * 4 * (1 + 3.0 / 8) * per_layer + logits, 1);
}

}  // namespace
}  // namespace sprout::planner
