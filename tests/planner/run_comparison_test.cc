// SPDX-License-Identifier: GPL-3.0-or-later
// Predicted versus actual on a recorded sprout-train run of plans/tiny-cpu.yaml
// (tests/data/runs/tiny-cpu-recorded: 391 steps on this 2-core machine, bf16).
#include "sprout/planner/runs/run_comparison.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/calibration.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

std::string recorded() { return test::source_path("tests/data/runs/tiny-cpu-recorded"); }

// A copy of the recorded run that a test may change.
std::string copy_of_recorded(const std::string& name) {
  const std::string dir = test::make_temp_dir(name);
  for (const char* f : {"plan.yaml", "telemetry.jsonl", "summary.json"}) {
    fs::copy_file(recorded() + "/" + f, dir + "/" + f);
  }
  return dir;
}

TEST(RunRecord, ReadsTheRecordedRun) {
  RunRecord run = read_run(recorded());
  EXPECT_FALSE(run.in_progress);
  EXPECT_EQ(run.plan.name, "tiny CPU growth schedule");
  ASSERT_EQ(run.stage_tokens().size(), 3u);
  EXPECT_DOUBLE_EQ(run.stage_tokens()[0], 798720);  // round(0.8e6 / 4096) = 195 steps x 4096 tokens
  EXPECT_EQ(run.records.back().step, 391);
  EXPECT_GT(run.records.back().time_s, 1.7e9);
}

TEST(RunComparison, StageTimesComeFromTheTelemetry) {
  RunRecord run = read_run(recorded());
  auto timing = stage_timings(run);
  ASSERT_EQ(timing.size(), 3u);
  double total = 0;
  for (const auto& t : timing) {
    EXPECT_TRUE(t.complete);
    total += t.seconds;
  }
  // summary.json measured the same run's wall clock independently.
  EXPECT_NEAR(total, run.summary->at("total").at("wall_seconds").get<double>(), 1.0);
  EXPECT_NEAR(timing[0].seconds, run.summary->at("stages")[0].at("wall_seconds").get<double>(), 0.5);
}

TEST(RunComparison, PredictionWithinAQuarterOfTheRunBeforeCalibration) {
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  RunComparison c = compare_run(plan, estimate_plan(plan), read_run(recorded()));
  EXPECT_FALSE(c.in_progress);
  EXPECT_EQ(c.rank_count, 1);
  EXPECT_EQ(c.energy_source, "model");
  ASSERT_EQ(c.stages.size(), 3u);
  EXPECT_LE(std::fabs(c.total.wall_seconds.error_fraction()), 0.25);
  EXPECT_NEAR(c.total.fraction_done, 1.0, 1e-9);
  // GPU-hours, dollars and carbon follow the time at the plan's price and grid.
  EXPECT_NEAR(c.total.gpu_hours.actual, c.total.wall_seconds.actual / 3600, 1e-9);
  EXPECT_NEAR(c.total.cost_usd.actual, c.total.gpu_hours.actual * plan.cluster.price_usd_per_gpu_hour, 1e-12);
  EXPECT_NEAR(c.total.co2e_kg.actual, c.total.energy_kwh.actual * 369.5 / 1000, 1e-12);
  EXPECT_NEAR(*c.total.final_val_loss, 2.5245, 1e-3);
}

TEST(RunComparison, CalibratedProfileReproducesTheRunWithinFivePercent) {
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  const RunRecord run = read_run(recorded());
  CalibrationResult cal = calibrate_profile(plan, run);
  EXPECT_LE(std::fabs(cal.total_error_after), 0.05);
  EXPECT_LT(std::fabs(cal.total_error_after), std::fabs(cal.total_error_before));
  // Re-plan with the written profile, as a user would.
  const std::string dir = test::make_temp_dir("calibrated");
  write_file_atomically(dir + "/fitted.yaml", hardware_profile_to_yaml(cal.profile, {}, "test"));
  plan.cluster.hardware = load_hardware_profile(dir + "/fitted.yaml");
  RunComparison c = compare_run(plan, estimate_plan(plan), run);
  for (const auto& s : c.stages) {
    EXPECT_LE(std::fabs(s.wall_seconds.error_fraction()), 0.05) << s.name;
  }
  EXPECT_LE(std::fabs(c.total.wall_seconds.error_fraction()), 0.05);
  EXPECT_FALSE(cal.power_fitted) << "a modelled energy source says nothing about power";
}

// A meter (NVML on a GPU, RAPL on a CPU) reads the device alone: the
// comparison adds the node's share of the profile's overhead, as the
// prediction counts it, and calibration fits the device's power without it.
// (An H200 run compared against the GPU's joules alone showed an energy
// error of -48% beside a time error of -70%.)
TEST(RunComparison, MeteredEnergyIsTheDevicePlusTheProfilesNodeShare) {
  const std::string dir = copy_of_recorded("metered");
  const RunRecord model_run = read_run(dir);
  const double start = model_run.records.front().time_s - 1.0;
  // The device drew 52 W throughout (0.8 of cpu-generic's 65 W TDP).
  constexpr double kDeviceW = 52;
  std::map<int, double> time_of_line;
  for (const auto& r : model_run.records) time_of_line[r.line] = r.time_s;
  std::string out;
  std::istringstream in(read_file(dir + "/telemetry.jsonl"));
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j["energy_source"] = "rapl";
    j["energy_j"] = kDeviceW * (time_of_line.at(++line_number) - start);
    out += j.dump() + "\n";
  }
  write_file_atomically(dir + "/telemetry.jsonl", out);
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  const RunRecord run = read_run(dir);
  RunComparison c = compare_run(plan, estimate_plan(plan), run);
  EXPECT_EQ(c.energy_source, "rapl");
  const double node_share_w = plan.cluster.hardware.node_overhead_w / plan.cluster.hardware.gpus_per_node;  // 30 W
  double joules = 0;
  for (const auto& t : stage_timings(run)) joules += t.energy_j;
  EXPECT_NEAR(c.total.energy_kwh.actual,
              (joules + node_share_w * c.total.wall_seconds.actual) / 3.6e6 * plan.cluster.region.pue, 1e-9);
  EXPECT_NEAR(joules / c.total.wall_seconds.actual, kDeviceW, 0.5);

  // Calibration: the device's own power over its TDP, and the re-planned
  // energy then follows the re-planned time.
  CalibrationResult cal = calibrate_profile(plan, run);
  ASSERT_TRUE(cal.power_fitted);
  EXPECT_NEAR(cal.typical_power_fraction, kDeviceW / plan.cluster.hardware.tdp_w, 0.01);
  plan.cluster.hardware = cal.profile;
  RunComparison after = compare_run(plan, estimate_plan(plan), run);
  EXPECT_NEAR(after.total.energy_kwh.error_fraction(), after.total.wall_seconds.error_fraction(), 0.02);
  EXPECT_LE(std::fabs(after.total.energy_kwh.error_fraction()), 0.05);
}

// A real GPU run: plans/single-gpu.yaml trained by sprout-train (LibTorch
// 2.11, CUDA 13, bf16) on one H200, 2026-11-26 (scripts/gpu-check.sh), and
// the profile `sprout profile --dtype bf16` measured there just before
// (tests/data/runs/h200-single-gpu-recorded, tests/data/profiles/).
std::string h200_run() { return test::source_path("tests/data/runs/h200-single-gpu-recorded"); }

TEST(RunComparison, AnH200RunIsReproducedByCalibrationFromEitherProfile) {
  const RunRecord run = read_run(h200_run());
  Plan plan = load_plan(test::source_path("plans/single-gpu.yaml"));
  RunComparison datasheet = compare_run(plan, estimate_plan(plan), run);
  EXPECT_EQ(datasheet.energy_source, "nvml");
  EXPECT_NEAR(datasheet.total.wall_seconds.actual, 60.2, 0.5);  // summary.json: 26.9 s + 25.5 s of training
  // The shipped profile assumes fused attention and Megatron's kernels;
  // this trainer runs unfused attention and stock LibTorch ops: ~3x slower.
  EXPECT_LT(datasheet.total.wall_seconds.error_fraction(), -0.6);
  // Metered energy tracks the time once the node's share is counted.
  EXPECT_NEAR(datasheet.total.energy_kwh.error_fraction(), datasheet.total.wall_seconds.error_fraction(), 0.05);

  const std::string dir = test::make_temp_dir("h200-calibrated");
  for (const std::string base : {"profiles/hardware/h200.yaml", "tests/data/profiles/h200-sprout-profile-bf16.yaml"}) {
    plan.cluster.hardware = load_hardware_profile(test::source_path(base));
    const CalibrationResult cal = calibrate_profile(plan, run);
    EXPECT_GT(std::fabs(cal.total_error_before), 0.4) << base;
    EXPECT_LE(std::fabs(cal.total_error_after), 0.01) << base;
    ASSERT_TRUE(cal.power_fitted);
    // NVML: 15.3 Wh at the wall over 60 s, less the node share, over 700 W.
    EXPECT_NEAR(cal.typical_power_fraction, 0.69, 0.01) << base;
    write_file_atomically(dir + "/fitted.yaml", hardware_profile_to_yaml(cal.profile, {}, "test"));
    Plan refit = plan;
    refit.cluster.hardware = load_hardware_profile(dir + "/fitted.yaml");
    RunComparison c = compare_run(refit, estimate_plan(refit), run);
    for (const auto& s : c.stages) EXPECT_LE(std::fabs(s.wall_seconds.error_fraction()), 0.10) << base << " " << s.name;
    EXPECT_LE(std::fabs(c.total.energy_kwh.error_fraction()), 0.02) << base;
  }
}

// A profile whose memory bandwidth is 1000x too low cannot be rescued by the
// throughput factor (memory-bound kernels stop at the copy bandwidth): the
// fit says so instead of handing back a profile that still misses.
TEST(RunComparison, CalibrationSaysWhenItsFactorCannotReproduceTheRun) {
  Plan plan = load_plan(test::source_path("plans/single-gpu.yaml"));
  const RunRecord run = read_run(h200_run());
  CalibrationResult fits = calibrate_profile(plan, run);
  EXPECT_FALSE(fits.factor_at_bound);
  plan.cluster.hardware.hbm_gb_per_s /= 1000;
  CalibrationResult stuck = calibrate_profile(plan, run);
  EXPECT_TRUE(stuck.factor_at_bound);
  EXPECT_GT(stuck.total_error_after, 0.05);
}

TEST(RunComparison, ARunStillWritingIsComparedForWhatItDid) {
  const std::string dir = copy_of_recorded("in-progress");
  // Cut the log in the middle stage, the last line half written; no summary yet.
  std::string text = read_file(dir + "/telemetry.jsonl");
  const size_t cut = text.find("\"step\":250");
  text = text.substr(0, text.rfind('\n', cut) + 1) + text.substr(text.rfind('\n', cut) + 1, 40);
  write_file_atomically(dir + "/telemetry.jsonl", text);
  fs::remove(dir + "/summary.json");
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  RunComparison c = compare_run(plan, estimate_plan(plan), read_run(dir));
  EXPECT_TRUE(c.in_progress);
  EXPECT_TRUE(c.stages[0].complete);
  EXPECT_FALSE(c.stages[1].complete);
  EXPECT_GT(c.stages[1].fraction_done, 0.3);
  EXPECT_LT(c.stages[1].fraction_done, 0.7);
  EXPECT_FALSE(c.stages[2].reached);
  // The partial stage is compared with the prediction for the part it did.
  EXPECT_LE(std::fabs(c.stages[1].wall_seconds.error_fraction()), 0.3);
}

// Peak memory where the run measured it: the ranks' steady step peaks at a
// stage's end against the planner's states and activations (no reserve).
TEST(RunComparison, PeakMemoryIsComparedWhereTheRunMeasuredIt) {
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  const PlanEstimate estimate = estimate_plan(plan);
  // The recorded run predates the memory meter: no memory row.
  RunComparison c = compare_run(plan, estimate, read_run(recorded()));
  EXPECT_FALSE(c.stages[0].peak_memory_gb);
  EXPECT_FALSE(c.total.peak_memory_gb);
  // Each stage's last evaluation with two ranks' peaks: the larger counts.
  const std::string dir = copy_of_recorded("peak-memory");
  std::istringstream in(read_file(dir + "/telemetry.jsonl"));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  const std::map<std::string, std::vector<double>> peaks = {
      {"small", {2e6, 3e6}}, {"wide", {9e6, 7e6}}, {"deep", {5e6, 4e6}}};
  for (const auto& [stage, bytes] : peaks) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->value("stage", "") == stage && it->value("event", "") == "eval") {
        (*it)["rank_steady_memory_bytes"] = bytes;
        break;
      }
    }
  }
  std::string text;
  for (const auto& j : lines) text += j.dump() + "\n";
  write_file_atomically(dir + "/telemetry.jsonl", text);
  c = compare_run(plan, estimate, read_run(dir));
  const double expected_actual[] = {3e-3, 9e-3, 5e-3};
  double most_predicted = 0;
  for (size_t k = 0; k < 3; ++k) {
    ASSERT_TRUE(c.stages[k].peak_memory_gb) << k;
    EXPECT_DOUBLE_EQ(c.stages[k].peak_memory_gb->actual, expected_actual[k]);
    const MemoryBreakdown& m = estimate.stages[k].memory;
    EXPECT_DOUBLE_EQ(c.stages[k].peak_memory_gb->predicted, m.total_gb() - m.reserved_gb);
    most_predicted = std::max(most_predicted, m.total_gb() - m.reserved_gb);
  }
  ASSERT_TRUE(c.total.peak_memory_gb);
  EXPECT_DOUBLE_EQ(c.total.peak_memory_gb->actual, 9e-3);
  EXPECT_DOUBLE_EQ(c.total.peak_memory_gb->predicted, most_predicted);
}

TEST(RunComparison, BadRunDirectoriesAreClearErrors) {
  Plan plan = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  const PlanEstimate e = estimate_plan(plan);
  auto error_of = [&](const std::string& dir) -> std::string {
    try {
      compare_run(plan, e, read_run(dir));
    } catch (const InputError& err) {
      return err.what();
    }
    return "no error";
  };
  // Another plan: the run's stages are not this plan's.
  const std::string other = copy_of_recorded("other-plan");
  Plan flm = load_plan(test::source_path("plans/flm-101b.yaml"));
  try {
    compare_run(flm, estimate_plan(flm), read_run(other));
    ADD_FAILURE() << "no error";
  } catch (const InputError& err) {
    EXPECT_NE(std::string(err.what()).find("the run is of another plan"), std::string::npos) << err.what();
  }
  const std::string empty = copy_of_recorded("empty");
  write_file_atomically(empty + "/telemetry.jsonl", "");
  EXPECT_NE(error_of(empty).find("telemetry.jsonl: empty"), std::string::npos) << error_of(empty);
  const std::string corrupt = copy_of_recorded("corrupt");
  std::string text = read_file(corrupt + "/telemetry.jsonl");
  text.insert(text.find('\n') + 1, "{\"step\": oops}\n");
  write_file_atomically(corrupt + "/telemetry.jsonl", text);
  EXPECT_NE(error_of(corrupt).find("telemetry.jsonl:2: telemetry.line: not valid JSON"), std::string::npos)
      << error_of(corrupt);
  EXPECT_NE(error_of("/no/such/run").find("does not exist"), std::string::npos);
}

// Found by fuzzing: nlohmann's out_of_range (a number beyond double) and
// type errors (a summary that is not an object) escaped as exit 1.
TEST(RunRecord, NumbersBeyondDoubleAndOddSummariesAreInputErrors) {
  auto error_of = [](const std::string& dir) -> std::string {
    try {
      read_run(dir);
    } catch (const InputError& err) {
      return err.what();
    }
    return "no error";
  };
  const std::string overflow = copy_of_recorded("overflow");
  std::string text = read_file(overflow + "/telemetry.jsonl");
  text.insert(text.find('\n') + 1, "{\"step\": 1e999}\n");
  write_file_atomically(overflow + "/telemetry.jsonl", text);
  EXPECT_NE(error_of(overflow).find("telemetry.jsonl:2: telemetry.line: not valid JSON"), std::string::npos)
      << error_of(overflow);
  for (const char* summary : {"[true]", "{\"complete\": 1e999}", "{\"complete\": \"yes\"}"}) {
    const std::string dir = copy_of_recorded("summary");
    write_file_atomically(dir + "/summary.json", summary);
    EXPECT_NE(error_of(dir).find("summary.json"), std::string::npos) << summary << ": " << error_of(dir);
  }
}

}  // namespace
}  // namespace sprout::planner
