// SPDX-License-Identifier: GPL-3.0-or-later
// Attention's batched GEMMs looked up by shape (issue 20, point 5): LibTorch
// 1.13's CPU bmm runs products of equal FLOPs 10-50x apart by shape (bf16
// QK^T at 40 GFLOP/s with head size 16 and ~500 with 32, measured with
// `sprout profile` on this project's CPU; docs/compare.md), so a profile
// that timed the shapes predicts each product at its own.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

constexpr double kTableEfficiency = 0.3;  // the FLOPs-keyed table, flat

// A profile whose FLOPs table says 0.3 for every batched product while its
// timed shapes make QK^T at head size 16 ten times slower than x V of the
// same FLOPs (the pattern of LibTorch's bf16 bmm).
HardwareProfile shaped_profile() {
  HardwareProfile hw = find_hardware_profile("cpu-generic");
  hw.name = "shaped";
  hw.peak_tflops = 0.5;
  hw.batched_gemm_efficiency = {{1e4, kTableEfficiency}, {1e9, kTableEfficiency}};
  for (double seq : {128.0, 256.0}) {
    for (double d : {16.0, 32.0}) {
      hw.batched_gemm_shapes.push_back({seq, seq, d, d == 16 ? 0.02 : 0.2});  // QK^T
      hw.batched_gemm_shapes.push_back({seq, d, seq, d == 16 ? 0.2 : 0.4});   // scores x V
    }
  }
  return hw;
}

std::string write_shaped_profile(const std::string& dir, const HardwareProfile& hw) {
  const std::string path = dir + "/shaped.yaml";
  std::ofstream(path) << hardware_profile_to_yaml(hw, {}, "test");
  return path;
}

TEST(BatchedGemmShapes, ATimedShapeKeepsItsEfficiencyAndTheKindsStayApart) {
  const HardwareProfile hw =
      load_hardware_profile(write_shaped_profile(test::make_temp_dir("shaped"), shaped_profile()));
  ASSERT_EQ(hw.batched_gemm_shapes.size(), 8u);
  // At a timed shape: its own, exactly; QK^T and x V of the same FLOPs apart.
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(128, 128, 16, 64), 0.02);
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(128, 16, 128, 64), 0.2);
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(256, 256, 32, 64), 0.2);
  // Halfway (in octaves) between head sizes 16 and 32: near the two
  // neighbours' mean (0.11), and between them.
  const double between = hw.batched_gemm_efficiency_at(128, 128, 22.627, 64);
  EXPECT_GT(between, 0.02);
  EXPECT_LT(between, 0.2);
  EXPECT_NEAR(between, 0.11, 0.11 * 0.07);
  // Beyond the timed sequences: taken at the nearest timed one.
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(64, 64, 16, 64), 0.02);
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(1024, 32, 1024, 64), 0.4);
  EXPECT_LT(hw.batched_gemm_efficiency_at(64, 64, 16, 64), hw.batched_gemm_efficiency_at(64, 16, 64, 64));
  // A product of neither kind (no two dimensions equal) keeps the FLOPs table.
  EXPECT_DOUBLE_EQ(hw.batched_gemm_efficiency_at(100, 50, 20, 64), kTableEfficiency);
  // A profile without shapes: the FLOPs table for every product.
  HardwareProfile unshaped = hw;
  unshaped.batched_gemm_shapes.clear();
  EXPECT_DOUBLE_EQ(unshaped.batched_gemm_efficiency_at(128, 128, 16, 64), kTableEfficiency);
}

Plan attention_plan(const std::string& profile) {
  return load_plan_from_string(R"(name: shaped
hardware: )" + profile + R"(
gpus: 1
region: us-average
model: {vocab: 256, seq_len: 128, framework: sprout-train}
training: {dtype: bf16}
stages:
  - {name: main, layers: 3, hidden: 128, heads: 8, tokens: 409600, global_batch_tokens: 4096, lr: 1.0e-3,
     parallel: {tp: 1, pp: 1, dp: 1, micro_batch: 8}}
)",
                               "shaped-plan.yaml");
}

TEST(BatchedGemmShapes, AStageIsPredictedAtItsOwnShapesEfficiency) {
  // The plan's QK^T is 64 (micro-batch 8 x 8 heads) products of 128 x 16 by
  // 16 x 128: forward, and twice that backward, in each layer and micro-batch.
  const std::string dir = test::make_temp_dir("shaped-plan");
  HardwareProfile hw = shaped_profile();
  const StageEstimate timed = estimate_plan(attention_plan(write_shaped_profile(dir, hw))).stages[0];
  for (auto& s : hw.batched_gemm_shapes) {
    if (s.m == 128 && s.n == 128 && s.k == 16) s.efficiency /= 2;
  }
  const StageEstimate slower = estimate_plan(attention_plan(write_shaped_profile(dir, hw))).stages[0];
  const double qk_flops = 2.0 * 128 * 128 * 16 * 64;
  const double micro_batches = 4096.0 / (128 * 8);
  const double extra =
      micro_batches * 3 * 3 * qk_flops / (0.5e12 * 0.01) - micro_batches * 3 * 3 * qk_flops / (0.5e12 * 0.02);
  EXPECT_NEAR(slower.iteration.iteration_s - timed.iteration.iteration_s, extra, extra * 1e-9);

  // The same plan predicted from the FLOPs table alone runs its QK^T at 0.3
  // of peak, 15x the rate the shapes say: the stage is shorter.
  hw = shaped_profile();
  hw.batched_gemm_shapes.clear();
  const StageEstimate table = estimate_plan(attention_plan(write_shaped_profile(dir, hw))).stages[0];
  EXPECT_LT(table.iteration.iteration_s, timed.iteration.iteration_s);
}

TEST(BatchedGemmShapes, ABadOrRepeatedShapeIsRejectedWithItsLine) {
  const std::string dir = test::make_temp_dir("shaped-bad");
  std::stringstream written(hardware_profile_to_yaml(shaped_profile(), {}, "test"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(written, line);) lines.push_back(line);
  int first = 0;
  for (size_t i = 0; i < lines.size() && first == 0; ++i) {
    if (lines[i].find("{m: 128, n: 128, k: 16,") != std::string::npos) first = static_cast<int>(i) + 1;
  }
  ASSERT_GT(first, 0);
  struct Case {
    std::string row, field;
    int line;  // where the loader stops: a repeated shape at its second listing
  };
  const size_t indent = lines[first - 1].find('{');
  for (const Case& c : {Case{"{m: -128, n: 128, k: 16, efficiency: 0.02}", "m", first},
                        Case{"{m: 128, n: 128, k: 16, efficiency: nan}", "efficiency", first},
                        Case{"{m: 128, n: 128, k: 16, efficiency: 0.02, batch: 64}", "batch", first},
                        Case{"{m: 128, n: 16, k: 128, efficiency: 0.2}", "listed twice", first + 1}}) {
    const std::string path = dir + "/bad.yaml";
    std::ofstream out(path);
    for (size_t i = 0; i < lines.size(); ++i) {
      out << (static_cast<int>(i) + 1 == first ? lines[i].substr(0, indent) + c.row : lines[i]) << "\n";
    }
    out.close();
    try {
      load_hardware_profile(path);
      ADD_FAILURE() << c.row << " accepted";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path + ":" + std::to_string(c.line) + ":", 0), 0u) << message;
      EXPECT_NE(message.find("batched_gemm_shapes"), std::string::npos) << message;
      EXPECT_NE(message.find(c.field), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace sprout::planner
