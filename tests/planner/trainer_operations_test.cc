// SPDX-License-Identifier: GPL-3.0-or-later
// A profile measured in two precisions, and sprout-train's operations
// counted one by one (issue 20, point 5): each plan is predicted with its
// training.dtype's throughput, and a sprout-train stage's memory-bound time
// is the trainer's operations times their measured per-element costs.
#include <gtest/gtest.h>

#include <fstream>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/memory_model.h"
#include "sprout/planner/model/model_shape.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

// cpu-generic as `sprout profile --dtype bf16,fp32` would write it: bf16 the
// profile's own dtype, fp32 under throughput_by_dtype, each with the
// trainer's operations at distinct per-element costs.
HardwareProfile two_dtype_profile() {
  HardwareProfile hw = find_hardware_profile("cpu-generic");
  hw.name = "two-dtypes";
  hw.dtype = "bf16";
  hw.peak_tflops = 0.6;
  // Per element: falling with the size as measured (two sizes, 4x apart,
  // the second 0.8 of the first), one operation costlier than the last.
  double ns = 1;
  for (const auto& op : kTrainerOps) {
    hw.trainer_ns_per_element[op] = {{1e5, ns}, {4e5, 0.8 * ns}};
    ns += 1;
  }
  DtypeThroughput fp32 = hw.throughput();
  fp32.peak_tflops = 0.19;
  fp32.memory_efficiency = 0.25;
  for (auto& [op, costs] : fp32.trainer_ns_per_element) {
    for (auto& c : costs) c.ns *= 2;
  }
  hw.throughput_by_dtype["fp32"] = fp32;
  // The fused CPU attention runs (and is measured) in fp32 only.
  hw.trainer_ns_per_element.erase("causal_attention");
  return hw;
}

std::string write_profile(const std::string& dir, const HardwareProfile& hw) {
  const std::string path = dir + "/two-dtypes.yaml";
  std::ofstream(path) << hardware_profile_to_yaml(hw, {}, "test");
  return path;
}

Plan plan_for(const std::string& profile, const std::string& dtype, const std::string& norm) {
  return load_plan_from_string(R"(name: ops
hardware: )" + profile + R"(
gpus: 1
region: us-average
model: {vocab: 256, seq_len: 128, activation: gelu, norm: )" +
                                   norm + R"(, framework: sprout-train}
training: {dtype: )" + dtype + R"(, eval_every_steps: 10, eval_batches: 2}
stages:
  - {name: main, layers: 4, hidden: 128, heads: 8, tokens: 409600, global_batch_tokens: 4096, lr: 1.0e-3,
     parallel: {tp: 1, pp: 1, dp: 1, micro_batch: 8}}
)",
                               "ops.yaml");
}

TEST(TrainerOperations, AProfileOfTwoDtypesRoundTripsAndPredictsEachPlanWithItsOwn) {
  const std::string dir = test::make_temp_dir("two-dtypes");
  const HardwareProfile hw = two_dtype_profile();
  const HardwareProfile back = load_hardware_profile(write_profile(dir, hw));
  EXPECT_EQ(back.dtype, "bf16");
  ASSERT_EQ(back.throughput_by_dtype.count("fp32"), 1u);
  EXPECT_DOUBLE_EQ(back.throughput_by_dtype.at("fp32").peak_tflops, 0.19);
  EXPECT_EQ(back.trainer_ns_per_element.count("causal_attention"), 0u);
  for (const auto& op : kTrainerOps) {
    for (double elements : {5e4, 2e5, 1e6}) {
      const double fp32_ns = hw.throughput_by_dtype.at("fp32").trainer_ns_per_element.count(op)
                                 ? hw.for_dtype("fp32").trainer_ns_at(op, elements)
                                 : 0;
      EXPECT_DOUBLE_EQ(back.for_dtype("fp32").trainer_ns_at(op, elements), fp32_ns) << op;
      if (op == "causal_attention") continue;
      EXPECT_DOUBLE_EQ(back.trainer_ns_at(op, elements), hw.trainer_ns_at(op, elements)) << op;
      EXPECT_DOUBLE_EQ(fp32_ns, 2 * hw.trainer_ns_at(op, elements)) << op;
    }
  }
  // Between two sizes, log-linear: halfway in log(elements) is halfway in ns.
  EXPECT_NEAR(hw.trainer_ns_at("gelu", 2e5), 0.9 * hw.trainer_ns_at("gelu", 1e5), 1e-12);

  const Plan bf16 = plan_for(dir + "/two-dtypes.yaml", "bf16", "layernorm");
  const Plan fp32 = plan_for(dir + "/two-dtypes.yaml", "fp32", "layernorm");
  EXPECT_DOUBLE_EQ(bf16.cluster.hardware.peak_tflops, 0.6);
  EXPECT_DOUBLE_EQ(fp32.cluster.hardware.peak_tflops, 0.19);
  EXPECT_DOUBLE_EQ(fp32.cluster.hardware.memory_efficiency, 0.25);
  EXPECT_EQ(fp32.cluster.hardware.dtype, "fp32");
  // The profile's own values move aside, not away: a second selection of
  // bf16 gets them back.
  EXPECT_DOUBLE_EQ(fp32.cluster.hardware.for_dtype("bf16").peak_tflops, 0.6);
  EXPECT_GT(estimate_plan(fp32).stages[0].iteration.iteration_s, estimate_plan(bf16).stages[0].iteration.iteration_s);
}

TEST(TrainerOperations, NormsAndOptimizerCostWhatTheirMeasuredOperationsCost) {
  const std::string dir = test::make_temp_dir("trainer-ops");
  const std::string profile = write_profile(dir, two_dtype_profile());
  const HardwareProfile& hw = plan_for(profile, "bf16", "layernorm").cluster.hardware;
  const StageEstimate ln = estimate_plan(plan_for(profile, "bf16", "layernorm")).stages[0];
  const StageEstimate rms = estimate_plan(plan_for(profile, "bf16", "rmsnorm")).stages[0];
  // Two norms a layer over the residual stream (8 x 128 tokens x 128), 4
  // layers, and the final norm before the logits, 4 micro-batches a step:
  // the compute differs by exactly that many elements at rms_norm's cost
  // minus layer_norm's for that size (RMSNorm's missing biases leave the
  // GEMMs as they are).
  const double stream = 8 * 128 * 128.0;
  const double norm_elements = (2 * 4 + 1) * stream * 4;
  const double per_element = hw.trainer_ns_at("rms_norm", stream) - hw.trainer_ns_at("layer_norm", stream);
  EXPECT_NEAR(rms.iteration.breakdown.compute_s - ln.iteration.breakdown.compute_s, norm_elements * per_element * 1e-9,
              1e-9);
  // The optimizer: every parameter at adamw's measured cost.
  const double local_params = stage_parameters_per_gpu(ln.shape, ln.layout);
  const double adamw_ns = hw.trainer_ns_at("adamw", parameters_per_layer(ln.shape));
  EXPECT_NEAR(ln.iteration.breakdown.optimizer_s, local_params * adamw_ns * 1e-9, 1e-12);
  // Evaluation: 100 steps / 10 + the stage's last = 11 passes of 2 x 16
  // sequences forward, 4 micro-batches of 8.
  const MicroBatchTimes& mb = ln.iteration.micro;
  const double forward = mb.forward_s + mb.first_stage_extra_s + mb.last_stage_extra_s / 3;
  EXPECT_EQ(ln.iterations, 100);
  EXPECT_NEAR(ln.evaluation_s, 11 * 4 * forward, 1e-12);
}

// fp32 on the CPU: sprout-train's fused attention core
// (backend/src/kernels/causal_attention_cpu.h) replaces the batched GEMMs,
// the scale-mask-softmax and the head copies; its measured cost is per
// score element times the head size.
TEST(TrainerOperations, TheFusedCpuAttentionCostsItsMeasuredCostInsteadOfTheUnfusedCore) {
  const std::string dir = test::make_temp_dir("trainer-ops-fused");
  HardwareProfile hw = two_dtype_profile();
  auto compute_s = [&](const HardwareProfile& profile, const std::string& name) {
    const std::string path = dir + "/" + name + ".yaml";
    HardwareProfile named = profile;
    named.name = name;
    std::ofstream(path) << hardware_profile_to_yaml(named, {}, "test");
    return estimate_plan(plan_for(path, "fp32", "layernorm")).stages[0].iteration.breakdown.compute_s;
  };
  DtypeThroughput& fp32 = hw.throughput_by_dtype.at("fp32");
  fp32.trainer_ns_per_element["causal_attention"] = {{1e6, 2.0}, {1e8, 2.0}};
  const double fused = compute_s(hw, "fused");
  // Doubling the kernel's cost adds exactly its elements at that cost: 4
  // layers x 4 micro-batches of 8 x 8 heads x 128^2 scores x head size 16.
  fp32.trainer_ns_per_element["causal_attention"] = {{1e6, 4.0}, {1e8, 4.0}};
  const double elements = 4 * 4 * (8 * 8 * 128 * 128.0) * 16;
  EXPECT_NEAR(compute_s(hw, "fused-2x") - fused, elements * 2.0 * 1e-9, 1e-9);
  // The unfused core's operations no longer count...
  HardwareProfile cheaper_scores = hw;
  for (auto& c : cheaper_scores.throughput_by_dtype.at("fp32").trainer_ns_per_element["attention_scores"]) c.ns /= 10;
  EXPECT_DOUBLE_EQ(compute_s(cheaper_scores, "scores"), compute_s(hw, "fused-2x-again"));
  // ... and without the kernel's cost the core is the unfused one again,
  // whose scale-mask-softmax does.
  fp32.trainer_ns_per_element.erase("causal_attention");
  HardwareProfile unfused_cheaper = hw;
  for (auto& c : unfused_cheaper.throughput_by_dtype.at("fp32").trainer_ns_per_element["attention_scores"]) c.ns /= 10;
  EXPECT_LT(compute_s(unfused_cheaper, "unfused-cheaper"), compute_s(hw, "unfused"));
}

TEST(TrainerOperations, OtherFrameworksAndUnmeasuredProfilesKeepTheBandwidthModel) {
  const std::string dir = test::make_temp_dir("trainer-ops-other");
  const std::string profile = write_profile(dir, two_dtype_profile());
  Plan megatron = plan_for(profile, "bf16", "layernorm");
  megatron.stages[0].framework = Framework::kMegatronLm;
  Plan generic = plan_for("cpu-generic", "bf16", "layernorm");
  for (const Plan* plan : {&megatron, &generic}) {
    const StageEstimate s = estimate_plan(*plan).stages[0];
    // Adam by bandwidth: 30 bytes a parameter (throughput_model.cc).
    const HardwareProfile& hw = plan->cluster.hardware;
    EXPECT_NEAR(s.iteration.breakdown.optimizer_s,
                30 * stage_parameters_per_gpu(s.shape, s.layout) /
                    (hw.hbm_gb_per_s * 1e9 * hw.memory_efficiency * hw.calibration.memory_efficiency_scale),
                1e-12);
  }
  // Evaluation is sprout-train's schedule: counted for its stages only.
  EXPECT_EQ(estimate_plan(megatron).stages[0].evaluation_s, 0);
  EXPECT_GT(estimate_plan(generic).stages[0].evaluation_s, 0);
}

}  // namespace
}  // namespace sprout::planner
