// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM logs as a run of a plan (runs/megatron_log.h). The logs in
// tests/data/megatron are written by scripts/make-megatron-test-logs.py with
// Megatron-LM's own format strings (training_log, _print_args,
// evaluate_and_print_results).
#include "sprout/planner/runs/megatron_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/run_comparison.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

std::string log_path(const std::string& name) { return test::source_path("tests/data/megatron/" + name); }

struct FlmLogs : ::testing::Test {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  PlanEstimate estimate = estimate_plan(plan);
  std::vector<std::string> files = {log_path("stage-1-16b.log"), log_path("stage-2-51b.log"),
                                    log_path("stage-3-101b.log")};

  // The first stage's log with its first `from` replaced by `to`, written to a new file.
  std::string first_log_with(const std::string& from, const std::string& to) const {
    std::string text = read_file(files[0]);
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    const std::string path = test::make_temp_dir("megatron-edited") + "/stage-1.log";
    write_file_atomically(path, text);
    return path;
  }
};

TEST_F(FlmLogs, IterationLinesBecomeTheRunRecordTheComparisonReads) {
  const RunRecord run = read_megatron_logs(plan, estimate, files);
  EXPECT_TRUE(run.in_progress);  // the 101B stage has run 3000 of 6000 iterations
  const std::vector<double> tokens = run.stage_tokens();
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_DOUBLE_EQ(tokens[0], 52000.0 * 2304 * 2048);  // the last logged iteration: 52000
  EXPECT_DOUBLE_EQ(tokens[1], 8000.0 * 2304 * 2048);
  EXPECT_DOUBLE_EQ(tokens[2], 3000.0 * 2160 * 2048);
  const RunTelemetryRecord& first = run.records.front();
  EXPECT_EQ(first.rank_count, 192);  // world_size of the argument dump
  EXPECT_NEAR(*first.loss, 3.222608, 1e-6);
  EXPECT_NEAR(*first.lr, 3.996716e-4, 1e-10);
  EXPECT_DOUBLE_EQ(*first.tflops_per_gpu, 135.9);
  EXPECT_DOUBLE_EQ(*first.tokens_per_s, 2304.0 * 2048 / 19.0);
  size_t evals = 0;
  for (const auto& r : run.records) evals += r.event == "eval";
  EXPECT_EQ(evals, 10u + 1u);  // every 5000 iterations: 10 in the 16B stage, 1 in the 51B
}

TEST_F(FlmLogs, ComparisonUsesMegatronsIterationTimesNotTheGapsBetweenJobs) {
  const RunRecord run = read_megatron_logs(plan, estimate, files);
  const PlanEstimate estimate = estimate_plan(plan);
  const RunComparison c = compare_run(plan, estimate, run);
  ASSERT_EQ(c.stages.size(), 3u);
  EXPECT_EQ(c.rank_count, 192);
  EXPECT_EQ(c.energy_source, "model");  // no --log-energy: the profile's power x time
  // 52000 iterations x 19.0 s; the 7 hours between the jobs are not training time.
  EXPECT_NEAR(c.stages[0].wall_seconds.actual, 52000 * 19.0, 1e-6);
  EXPECT_NEAR(c.stages[1].wall_seconds.actual, 8000 * 47.0, 1e-6);
  EXPECT_NEAR(c.stages[2].wall_seconds.actual, 3000 * 85.0, 1e-6);
  EXPECT_FALSE(c.stages[2].complete);
  EXPECT_NEAR(c.stages[2].fraction_done, 3000.0 / 6000, 1e-9);
  // The test logs run a little slower than predicted.
  for (const auto& s : c.stages) {
    EXPECT_GT(s.wall_seconds.error_fraction(), -0.25) << s.name;
    EXPECT_LT(s.wall_seconds.error_fraction(), 0.0) << s.name;
  }
  ASSERT_TRUE(c.stages[1].final_val_loss);
}

// Without argument dumps, consumed samples starting again mark the next stage.
TEST_F(FlmLogs, WithoutArgumentDumpsARestartOfSamplesStartsTheNextStage) {
  const std::string dir = test::make_temp_dir("megatron-bare");
  const std::string path = dir + "/bare.log";
  std::ofstream out(path);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" iteration ") != std::string::npos) out << line << "\n";
    }
  }
  out.close();
  const RunRecord run = read_megatron_logs(plan, estimate, {path});
  const std::vector<double> tokens = run.stage_tokens();
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_DOUBLE_EQ(tokens[2], 3000.0 * 2160 * 2048);
  EXPECT_EQ(run.records.back().rank_count, 192);  // the plan's GPUs
}

void expect_input_error(const Plan& plan, const std::vector<std::string>& files, const std::string& start,
                        const std::string& part) {
  try {
    read_megatron_logs(plan, estimate_plan(plan), files);
    ADD_FAILURE() << "accepted " << files.back();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(start, 0), 0u) << what;
    EXPECT_NE(what.find(part), std::string::npos) << what;
  }
}

TEST_F(FlmLogs, BadLogsNameTheFile) {
  const std::string none = log_path("no-iterations.log");
  expect_input_error(plan, {none}, none + ": megatron log: no iteration lines", "Megatron-LM's training loop");
  const std::string other = log_path("other-model.log");
  expect_input_error(plan, {other}, other + ":", "num_layers: the log is of another model than plan");
  // The 16B log against a plan of other batches: another run.
  const Plan tiny = load_plan(test::source_path("plans/tiny-cpu.yaml"));
  expect_input_error(tiny, {files[0]}, files[0] + ":", "num_layers: the log is of another model");
}

// Found by fuzzing: a count beyond long long's range was cast (undefined behaviour).
TEST_F(FlmLogs, ACountBeyondLongLongIsAnInputError) {
  const std::string path = first_log_with("consumed samples:      2304000", "consumed samples: 4.4e117");
  expect_input_error(plan, {path}, path + ":21: megatron log.consumed samples: ", "too large for a count");
}

// Found by fuzzing: an iteration time that adds up to 1.9e92 s was cast to a
// 64-bit timestamp (undefined behaviour, UBSan float-cast-overflow).
TEST_F(FlmLogs, ATimeBeyondAnyRunIsAnInputError) {
  const std::string path =
      first_log_with("elapsed time per iteration (ms): 19000.0", "elapsed time per iteration (ms): 1e92");
  expect_input_error(plan, {path}, path + ":21: megatron log.elapsed time per iteration (ms): ",
                     "1e+92 ms per iteration puts the run beyond 100 years of training");
}

}  // namespace
}  // namespace sprout::planner
