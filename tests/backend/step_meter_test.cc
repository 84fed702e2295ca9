// SPDX-License-Identifier: GPL-3.0-or-later
// The step meter (run/step_meter.h): what a step record says about the
// steps since the last one (with the recompute and the activation peak), the
// pipeline's per-stage and per-op means, and the progress line with its ETA.
#include "run/step_meter.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "sprout/planner/base/format_units.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::backend {
namespace {

class StepMeterTest : public ::testing::Test {
 protected:
  StepMeterTest()
      : plan_(planner::load_plan((std::filesystem::path(SPROUT_SOURCE_DIR) / "plans" / "tiny-cpu.yaml").string())),
        schedules_(schedule_stages(plan_, 1)) {}

  static ParallelStepResult timed_step(double compute_s, double wait_s, double reduce_s, double optimizer_s) {
    ParallelStepResult r;
    r.step.compute_seconds = compute_s;
    r.step.wait_seconds = wait_s;
    r.step.reduce_seconds = reduce_s;
    r.step.optimizer_seconds = optimizer_s;
    return r;
  }

  planner::Plan plan_;
  std::vector<StageSchedule> schedules_;
};

TEST_F(StepMeterTest, AStepRecordAveragesTheStepsSinceTheLastAndStartsAfresh) {
  StepMeter meter(plan_, schedules_, 2);
  meter.begin_stage(0, std::nullopt);
  meter.add_step(1.0, 100, timed_step(0.5, 0.1, 0.2, 0.05));
  meter.add_step(3.0, 100, timed_step(0.7, 0.3, 0.4, 0.15));
  planner::TelemetryRecord r;
  meter.fill_step_record(r);
  EXPECT_DOUBLE_EQ(*r.tokens_per_s, 50.0);  // 200 tokens in 4 s of steps
  EXPECT_DOUBLE_EQ(*r.tflops_per_gpu, planner::model_flops_per_token(plan_.stages[0].shape) * 50.0 / 2 / 1e12);
  EXPECT_DOUBLE_EQ(*r.compute_s, 0.6);
  EXPECT_DOUBLE_EQ(*r.wait_s, 0.2);
  EXPECT_DOUBLE_EQ(*r.reduce_s, 0.3);
  EXPECT_DOUBLE_EQ(*r.optimizer_s, 0.1);
  EXPECT_FALSE(r.pipeline);  // not pipelined

  EXPECT_FALSE(r.exposed_comm_s);  // no step measured it

  // The data-parallel step's exposed communication: the mean of the steps that measured it.
  ParallelStepResult measured = timed_step(1.0, 0, 0, 0);
  measured.step.exposed_comm_seconds = 0.25;
  meter.add_step(2.0, 300, measured);
  measured.step.exposed_comm_seconds = 0.75;
  meter.add_step(2.0, 300, measured);
  planner::TelemetryRecord next;
  meter.fill_step_record(next);
  EXPECT_DOUBLE_EQ(*next.tokens_per_s, 150.0);
  EXPECT_DOUBLE_EQ(*next.compute_s, 1.0);
  EXPECT_DOUBLE_EQ(*next.exposed_comm_s, 0.5);
}

TEST_F(StepMeterTest, AStepRecordSaysTheRecomputeAndTheLargestActivationPeakSinceTheLast) {
  schedules_[0].recompute = planner::Recompute::kSelective;
  StepMeter meter(plan_, schedules_, 1);
  meter.begin_stage(0, std::nullopt);
  ParallelStepResult step = timed_step(1, 0, 0, 0);
  for (int64_t bytes : {300, 700, 500}) {
    step.step.activation_peak_bytes = bytes;
    meter.add_step(1.0, 10, step);
  }
  planner::TelemetryRecord r;
  meter.fill_step_record(r);
  EXPECT_EQ(r.recompute, planner::Recompute::kSelective);
  EXPECT_EQ(r.activation_peak_bytes, 700);
  step.step.activation_peak_bytes = 0;  // not measured
  meter.add_step(1.0, 10, step);
  planner::TelemetryRecord unmeasured;
  meter.fill_step_record(unmeasured);
  EXPECT_FALSE(unmeasured.activation_peak_bytes);
}

TEST_F(StepMeterTest, APipelinedStageLogsPerStageMeansAndEveryOp) {
  StepMeter meter(plan_, schedules_, 2);
  planner::PipelineTelemetry shape;
  shape.schedule = "1F1B";
  shape.stages = 2;
  shape.micro_batches = 2;
  shape.p2p_s = 0.001;
  meter.begin_stage(0, shape);
  ParallelStepResult step = timed_step(1, 0, 0, 0);
  step.bubble_fraction = 0.2;
  // Ops by virtual stage: (stage 0: mb 0, 1), (stage 1: mb 0, 1).
  step.ops.forward_s = {1, 3, 5, 7};
  step.ops.backward_s = {2, 2, 4, 4};
  step.ops.forward_p2p_s = {0.1, 0.1, 0.1, 0.1};
  step.ops.backward_p2p_s = {0.2, 0.2, 0.2, 0.2};
  meter.add_step(1, 10, step);
  step.bubble_fraction = 0.4;
  meter.add_step(1, 10, step);
  planner::TelemetryRecord r;
  meter.fill_step_record(r);
  ASSERT_TRUE(r.pipeline);
  EXPECT_EQ(r.pipeline->schedule, "1F1B");
  EXPECT_DOUBLE_EQ(r.pipeline->p2p_s, 0.001);
  EXPECT_DOUBLE_EQ(r.pipeline->bubble_fraction, 0.3);
  EXPECT_EQ(r.pipeline->forward_s, (std::vector<double>{2, 6}));  // mean over micro-batches and steps
  EXPECT_EQ(r.pipeline->backward_s, (std::vector<double>{2, 4}));
  EXPECT_EQ(*r.pipeline->forward_op_s, (std::vector<double>{1, 3, 5, 7}));
  EXPECT_EQ(r.pipeline->backward_p2p_op_s->size(), 4u);

  // More ops than kMaxLoggedOps: the per-stage means only.
  shape.micro_batches = static_cast<int>(kMaxLoggedOps);
  meter.begin_stage(0, shape);
  ParallelStepResult many = timed_step(1, 0, 0, 0);
  for (auto* series : many.ops.series()) series->assign(2 * kMaxLoggedOps, 1.0);
  meter.add_step(1, 10, many);
  planner::TelemetryRecord big;
  meter.fill_step_record(big);
  ASSERT_TRUE(big.pipeline);
  EXPECT_EQ(big.pipeline->forward_s, (std::vector<double>{1, 1}));
  EXPECT_FALSE(big.pipeline->forward_op_s);
}

TEST_F(StepMeterTest, TheProgressLineCountsStepsAndEstimatesTheRestAtTheLastRate) {
  StepMeter meter(plan_, schedules_, 2);
  meter.begin_stage(0, std::nullopt);
  const double tokens = static_cast<double>(schedules_[0].sequences_per_step) * plan_.stages[0].shape.seq_len;
  // Every step at 1 s: the ETA is the plan's steps left, weighted by their FLOPs.
  meter.add_step(1.0, tokens, timed_step(1, 0, 0, 0));
  planner::TelemetryRecord r;
  meter.fill_step_record(r);
  RunCounters c;
  c.global_step = 1;
  c.step_in_stage = 1;
  const std::string line = meter.progress_line(c, 3.25, 1e-3, 0.5);
  long long total = 0;
  for (const auto& s : schedules_) total += s.steps;
  const std::string expected_start = fmt::format("[1/{} {}] step 1/{} (total 1/{}) loss 3.2500 lr 1.00e-03 ",
                                                 plan_.stages.size(), plan_.stages[0].name, schedules_[0].steps, total);
  EXPECT_EQ(line.rfind(expected_start, 0), 0u) << line;
  EXPECT_NE(line.find(" mask 0.50 ETA "), std::string::npos) << line;
  EXPECT_EQ(meter.progress_line(c, 3.25, 1e-3, std::nullopt).find("mask"), std::string::npos);
}

TEST(FormatDuration, HoursMinutesSecondsOrUnknown) {
  EXPECT_EQ(planner::clock_duration(42.4), "42s");
  EXPECT_EQ(planner::clock_duration(185), "3m05s");
  EXPECT_EQ(planner::clock_duration(3720), "1h02m");
  EXPECT_EQ(planner::clock_duration(std::nan("")), "?");
  EXPECT_EQ(planner::clock_duration(-1), "?");
}

}  // namespace
}  // namespace sprout::backend
