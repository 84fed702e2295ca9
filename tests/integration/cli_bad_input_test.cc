// SPDX-License-Identifier: GPL-3.0-or-later
// Inputs that once ended in exit 1 with a library's internal message (found by
// a mutation run and by the fuzz targets, docs/reliability.md): each must end
// in exit 2 with one line naming the file and line.
#include <gtest/gtest.h>

#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout {
namespace {

namespace fs = std::filesystem;

void expect_input_error(const test::CommandResult& r, const std::string& starts, const std::string& contains) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: " + starts, 0), 0u) << r.err;
  EXPECT_NE(r.err.find(contains), std::string::npos) << r.err;
}

// nlohmann's type_error.316 when the plan name went to JSON output.
TEST(CliBadInput, PlanNameNotUtf8IsNamedAtItsLine) {
  const std::string plan = test::source_path("tests/data/bad/name-not-utf8.yaml");
  for (const char* command : {" plan --format json ", " simulate --format json ", " export --target slurm --out "}) {
    std::string line = test::sprout_cmd() + command;
    if (std::string(command).find("--out") != std::string::npos) line += test::make_temp_dir("export") + " ";
    expect_input_error(test::run_command(line + plan), plan + ":3:", "name: is not valid UTF-8");
  }
}

// std::filesystem_error "File name too long" escaped from the profile lookup.
TEST(CliBadInput, HardwareNameTooLongIsNamedAtThePlansKey) {
  const std::string plan = test::source_path("tests/data/bad/hardware-name-too-long.yaml");
  expect_input_error(test::run_command(test::sprout_cmd() + " plan " + plan), plan + ":4:", "File name too long");
}

// nlohmann's out_of_range.406 (number overflow) escaped from the telemetry reader.
TEST(CliBadInput, TelemetryNumberBeyondDoubleIsNamedAtItsLine) {
  const std::string recorded = test::source_path("tests/data/runs/tiny-cpu-recorded");
  const std::string run = test::make_temp_dir("overflow-run");
  for (const char* f : {"plan.yaml", "telemetry.jsonl", "summary.json"})
    fs::copy_file(recorded + "/" + f, run + "/" + f);
  std::string text = planner::read_file(run + "/telemetry.jsonl");
  text.insert(text.find('\n') + 1, "{\"step\": 1e999, \"loss\": -1e400}\n");
  planner::write_file_atomically(run + "/telemetry.jsonl", text);
  expect_input_error(
      test::run_command(test::sprout_cmd() + " compare " + test::source_path("plans/tiny-cpu.yaml") + " " + run),
      run + "/telemetry.jsonl:2", "telemetry.line: not valid JSON");
}

// A file the plan names is reported at the plan's key, its own error kept.
TEST(CliBadInput, ReferencedFilesAreNamedAtThePlansKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"hardware-profile-malformed.yaml:4:11: hardware: ", "hardware-no-peak.yaml:3:1: peak_tflops: missing"},
      {"region-profile-malformed.yaml:6:9: region: ", "region-bad-pue.yaml:4:6: pue: 0.5 is out of range"},
      {"region-trace-missing.yaml:6:9: region: ", "region-missing-trace.yaml:5:19: carbon_trace_csv: file not"},
      {"price-list-malformed.yaml:7:13: price_list: ", "prices-negative.yaml:6:9: usd_per_gpu_hour.a800: -1 is"},
      {"price-list-unreadable.yaml:7:13: price_list: ", "bad-profiles/: cannot read file: is a directory"}};
  for (const auto& [at, inner] : cases) {
    const std::string plan = test::source_path("tests/data/bad/") + at;
    const std::string file = plan.substr(0, plan.find(".yaml") + 5);
    expect_input_error(test::run_command(test::sprout_cmd() + " plan " + file), plan, inner);
  }
}

// A malformed carbon trace is reported where the region profile names it.
TEST(CliBadInput, BadCarbonTraceIsNamedWhereTheRegionProfileNamesIt) {
  const std::string plan = test::source_path("tests/data/bad-reference/region-bad-trace-plan.yaml");
  const auto r = test::run_command(test::sprout_cmd() + " simulate " + plan);
  expect_input_error(r, "", "region-bad-trace.yaml:5:19: carbon_trace_csv: ");
  EXPECT_NE(r.err.find("bad-traces/gap.csv:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sprout
