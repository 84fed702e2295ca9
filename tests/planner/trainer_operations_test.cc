// SPDX-License-Identifier: GPL-3.0-or-later
// A profile measured in two precisions, and sprout-train's operations
// counted one by one (issue 20, point 5): each plan is predicted with its
// training.dtype's throughput, and a sprout-train stage's memory-bound time
// is the trainer's operations times their measured per-element costs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/memory_model.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/throughput_model.h"
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

std::string write_two_dtype_profile(const std::string& dir, const HardwareProfile& hw) {
  const std::string path = dir + "/two-dtypes.yaml";
  std::ofstream(path) << hardware_profile_to_yaml(hw, {}, "test");
  return path;
}

Plan plan_for(const std::string& profile, const std::string& dtype, const std::string& norm,
              const std::string& activation = "gelu") {
  return load_plan_from_string(R"(name: ops
hardware: )" + profile + R"(
gpus: 1
region: us-average
model: {vocab: 256, seq_len: 128, activation: )" +
                                   activation + ", norm: " + norm + R"(, framework: sprout-train}
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
  const HardwareProfile back = load_hardware_profile(write_two_dtype_profile(dir, hw));
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
  const std::string profile = write_two_dtype_profile(dir, two_dtype_profile());
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

// The glue around a layer's GEMMs (kernels/linear.cc, gpt_forward.cc): the
// QKV weights concatenated for one GEMM in every block, and in GELU blocks
// (GPT-2's biased linear layers) each bias broadcast into its layer's output
// and its gradient summed. Profiles written before they were measured lack
// both: nothing is counted then.
// The compute seconds of an iteration of plan_for(bf16, LayerNorm,
// `activation`) under `profile`, written to `dir` as `name`.
double bf16_compute_seconds(const std::string& dir, const HardwareProfile& profile, const std::string& name,
                            const std::string& activation) {
  HardwareProfile named = profile;
  named.name = name;
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << hardware_profile_to_yaml(named, {}, "test");
  return estimate_plan(plan_for(path, "bf16", "layernorm", activation)).stages[0].iteration.breakdown.compute_s;
}

TEST(TrainerOperations, BiasesAndTheQkvConcatenationCostTheirMeasuredOperations) {
  const std::string dir = test::make_temp_dir("trainer-ops-glue");
  const HardwareProfile hw = two_dtype_profile();
  HardwareProfile without = hw;
  for (const char* op : {"linear_bias", "weight_concat"}) without.trainer_ns_per_element.erase(op);
  auto compute_s = [&](const HardwareProfile& profile, const std::string& name, const std::string& activation) {
    return bf16_compute_seconds(dir, profile, name, activation);
  };
  // 4 layers x 4 micro-batches of 8 x 128 tokens, hidden 128 (8 heads of
  // 16): QKV 3 x 128 wide, FFN 512 (GELU 4h; SwiGLU 8h/3 rounded up to 256).
  const double tokens = 8 * 128.0, layer_runs = 4 * 4;
  auto seconds = [&](const std::string& op, double elements) {
    return elements * hw.trainer_ns_at(op, elements) * 1e-9;
  };
  const double concat = seconds("weight_concat", 384 * 128.0);
  const double biases = seconds("linear_bias", tokens * 384) + seconds("linear_bias", tokens * 512) +
                        2 * seconds("linear_bias", tokens * 128);
  EXPECT_NEAR(compute_s(hw, "gelu", "gelu") - compute_s(without, "gelu-without", "gelu"),
              layer_runs * (concat + biases), 1e-9);
  EXPECT_NEAR(compute_s(hw, "swiglu", "swiglu") - compute_s(without, "swiglu-without", "swiglu"), layer_runs * concat,
              1e-9);
}

// The token embedding (docs/formulas.md "sprout-train's operations"): with
// `embedding` measured, a micro-batch pays the lookup with its gradient at
// the measured cost, learned positions' add, and the gradient's zero fill
// over the vocabulary rows at bandwidth, instead of three bandwidth passes
// over the looked-up rows (0.04 ms where a plan of hidden 64 measured 0.37).
TEST(TrainerOperations, TheTokenEmbeddingCostsItsMeasuredLookup) {
  const std::string dir = test::make_temp_dir("trainer-ops-embedding");
  const HardwareProfile hw = two_dtype_profile();
  ASSERT_TRUE(hw.trainer_ns_per_element.count("embedding"));
  HardwareProfile without = hw;
  without.trainer_ns_per_element.erase("embedding");
  // 4 micro-batches of 8 x 128 tokens, hidden 128, vocabulary 256 (plan_for).
  const double looked_up = 8 * 128 * 128.0, micro_batches = 4;
  const double bytes_per_s = hw.hbm_gb_per_s * 1e9 * hw.memory_efficiency;
  auto seconds = [&](const std::string& op, double elements) {
    return elements * hw.trainer_ns_at(op, elements) * 1e-9;
  };
  const double measured =
      seconds("embedding", looked_up) + seconds("residual_add", looked_up) + 4.0 * 256 * 128 / bytes_per_s;
  const double bandwidth = 3 * 2 * looked_up / bytes_per_s;
  EXPECT_NEAR(bf16_compute_seconds(dir, hw, "with", "gelu") - bf16_compute_seconds(dir, without, "without", "gelu"),
              micro_batches * (measured - bandwidth), 1e-9);
  EXPECT_GT(measured, 2 * bandwidth);  // the test's costs: a lookup dearer than bandwidth, as measured
}

// The from-scratch baseline `sprout plan` prints beside a plan is a
// sprout-train run too: it pays the evaluations and the first step as the
// plan's stages do, so a one-stage plan (no growth) is its own baseline
// (without them, "saves -7.5% of the time" for a plan that grows nothing).
TEST(TrainerOperations, AOneStagePlanIsItsOwnFromScratchBaseline) {
  const std::string dir = test::make_temp_dir("trainer-ops-scratch");
  const PlanEstimate e =
      estimate_plan(plan_for(write_two_dtype_profile(dir, two_dtype_profile()), "fp32", "layernorm"));
  ASSERT_TRUE(e.scratch_baseline);
  EXPECT_GT(e.scratch_baseline->evaluation_s, 0);
  EXPECT_EQ(e.scratch_baseline->evaluation_s, e.stages[0].evaluation_s);
  EXPECT_EQ(e.scratch_baseline->warmup_s, e.stages[0].warmup_s);
  EXPECT_NEAR(e.scratch_total.seconds, e.total.seconds, 1e-12 * e.total.seconds);
}

// A stage's first step: the process's one-time work where the stage starts
// a process, and the memory its step holds beyond what the process already
// mapped, at the profile's fresh-memory rate (docs/formulas.md "A stage's
// first step").
Plan growing_plan(const std::string& profile, int second_stage_tp) {
  return load_plan_from_string(R"(name: warm-up
hardware: )" + profile + R"(
gpus: 2
region: us-average
model: {vocab: 256, seq_len: 128, activation: gelu, framework: sprout-train}
training: {dtype: fp32, eval_every_steps: 10, eval_batches: 2}
stages:
  - {name: small, layers: 2, hidden: 128, heads: 8, tokens: 409600, global_batch_tokens: 4096, lr: 1.0e-3,
     parallel: {tp: 1, pp: 1, dp: 2, micro_batch: 8}}
  - {name: large, layers: 4, hidden: 256, heads: 8, tokens: 409600, global_batch_tokens: 4096, lr: 1.0e-3,
     grow: {width: true, depth: true},
     parallel: {tp: )" + std::to_string(second_stage_tp) +
                                   ", pp: 1, dp: " + std::to_string(2 / second_stage_tp) + R"(, micro_batch: 8}}
)",
                               "warm-up.yaml");
}

TEST(TrainerWarmup, TheFirstStepPaysTheProcessStartAndTheMemoryItMapsFirst) {
  const std::string dir = test::make_temp_dir("trainer-warm-up");
  HardwareProfile hw = two_dtype_profile();
  hw.fresh_memory_gb_per_s = 0.5;
  hw.throughput_by_dtype.at("fp32").trainer_first_step_s = 0.07;
  const std::string profile = write_two_dtype_profile(dir, hw);
  // The bytes a rank's step holds: sprout-train's fp32 activations at their
  // peak and the fp32 gradients (weights and optimizer states exist before
  // the stage's clock starts).
  auto step_bytes = [](const StageEstimate& s) {
    const int micro_batches = s.iteration.micro_batches;
    return activation_bytes_per_gpu(s.shape, s.layout, AttentionKernel::kStandard, 0, micro_batches,
                                    ActivationFootprint::kSproutTrainFp32) +
           4 * stage_parameters_per_gpu(s.shape, s.layout);
  };
  // Same layout: one process; the larger stage maps only its growth.
  const PlanEstimate same = estimate_plan(growing_plan(profile, 1));
  const double small = step_bytes(same.stages[0]), large = step_bytes(same.stages[1]);
  ASSERT_GT(large, small);
  EXPECT_NEAR(same.stages[0].warmup_s, 0.07 + small / 0.5e9, 1e-12);
  EXPECT_NEAR(same.stages[1].warmup_s, (large - small) / 0.5e9, 1e-12);
  // A new tensor-parallel degree relaunches the processes: all again.
  const PlanEstimate relaunched = estimate_plan(growing_plan(profile, 2));
  EXPECT_NEAR(relaunched.stages[1].warmup_s, 0.07 + step_bytes(relaunched.stages[1]) / 0.5e9, 1e-12);
  // Counted in the stage's time, as its evaluations are.
  const StageEstimate& first = same.stages[0];
  EXPECT_NEAR(first.costs.seconds, first.iterations * first.iteration.iteration_s + first.evaluation_s + first.warmup_s,
              1e-9);
  // The round trip keeps both numbers.
  const HardwareProfile back = load_hardware_profile(profile);
  EXPECT_DOUBLE_EQ(back.fresh_memory_gb_per_s, 0.5);
  EXPECT_DOUBLE_EQ(back.for_dtype("fp32").trainer_first_step_s, 0.07);
  // A profile that measured neither adds nothing.
  EXPECT_EQ(estimate_plan(growing_plan(write_two_dtype_profile(dir, two_dtype_profile()), 1)).stages[0].warmup_s, 0);
}

TEST(TrainerWarmup, ANegativeOrNonNumericMeasurementIsRejectedWithItsLine) {
  const std::string dir = test::make_temp_dir("trainer-warm-up-bad");
  HardwareProfile hw = two_dtype_profile();
  hw.fresh_memory_gb_per_s = 0.5;
  hw.throughput_by_dtype.at("fp32").trainer_first_step_s = 0.07;
  std::stringstream written(hardware_profile_to_yaml(hw, {}, "test"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(written, line);) lines.push_back(line);
  for (const std::string key : {"fresh_memory_gb_per_s", "trainer_first_step_s"}) {
    for (const std::string value : {"-1", "nan"}) {
      const std::string path = dir + "/" + key + value + ".yaml";
      std::ofstream out(path);
      int bad_line = 0;
      for (size_t i = 0; i < lines.size(); ++i) {
        const size_t at = lines[i].find(key + ":");
        if (at != std::string::npos && bad_line == 0) {
          bad_line = static_cast<int>(i) + 1;
          out << lines[i].substr(0, at) << key << ": " << value << "\n";
        } else {
          out << lines[i] << "\n";
        }
      }
      out.close();
      ASSERT_GT(bad_line, 0) << key;
      try {
        load_hardware_profile(path);
        ADD_FAILURE() << key << " " << value << " accepted";
      } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind(path + ":" + std::to_string(bad_line) + ":", 0), 0u) << message;
        EXPECT_NE(message.find(key), std::string::npos) << message;
      }
    }
  }
}

TEST(TrainerOperations, OtherFrameworksAndUnmeasuredProfilesKeepTheBandwidthModel) {
  const std::string dir = test::make_temp_dir("trainer-ops-other");
  const std::string profile = write_two_dtype_profile(dir, two_dtype_profile());
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
