// SPDX-License-Identifier: GPL-3.0-or-later
// The planner against published runs (docs/references.md; docs/validation.md).
#include "sprout/planner/runs/published_runs.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

const std::vector<ValidationRow>& rows() {
  static const auto r = validate(load_published_numbers(test::source_path("plans/validation/published.yaml")));
  return r;
}

double error_of(const std::string& stage, const std::string& metric) {
  for (const auto& r : rows()) {
    if (r.reference.stage == stage && r.reference.metric == metric && r.reference.group == "flm-101b") {
      return r.error_fraction();
    }
  }
  ADD_FAILURE() << "no published " << stage << " " << metric;
  return NAN;
}

// Korthikanti Table 5: mean |error| <= 5% and none over 10% (Calculon: 3.65% / 8.9%).
TEST(Validation, KorthikantiTable5IterationTimes) {
  ErrorSummary s = summarize(rows(), "korthikanti");
  EXPECT_EQ(s.count, 8);
  EXPECT_LE(s.mean_abs, 0.05);
  EXPECT_LE(s.max_abs, 0.10);
  for (const auto& r : rows()) {
    if (r.reference.group == "korthikanti") {
      EXPECT_LE(std::fabs(r.error_fraction()), 0.10) << r.reference.plan_file;
    }
  }
}

TEST(Validation, Flm101bThroughputPerStageWithin10Percent) {
  for (const char* stage : {"16B", "51B", "101B"}) {
    EXPECT_LE(std::fabs(error_of(stage, "tflops_per_gpu")), 0.10) << stage;
  }
}

// Time-based totals within 15%: with the 16B guess at FLM-101B's head size
// (44 x 128) every stage runs at or above its published TFLOP/s, and the
// failure-free planner lands short of the published days, which include
// restarts, evaluations and growth transitions (-11.8%, as the from-scratch
// estimate's -10.8% below; docs/validation.md). FLOPs stay within 5%.
TEST(Validation, Flm101bTotalsWithinBounds) {
  EXPECT_LE(std::fabs(error_of("total", "zflops")), 0.05);  // issue #3: FLOPs within 5%
  EXPECT_LE(std::fabs(error_of("total", "days")), 0.15);
  EXPECT_LE(std::fabs(error_of("total", "gpu_hours")), 0.15);
  EXPECT_LE(std::fabs(error_of("total", "cost_usd")), 0.15);
  EXPECT_LE(std::fabs(error_of("total", "energy_mwh")), 0.10);
  EXPECT_LE(std::fabs(error_of("total", "co2e_t")), 0.15);
}

// The published 76.74 days is the 101B stage's measured wall-clock rate
// (26.54B tokens in 6.54 days, overheads included) applied to all tokens; the
// planner is failure-free, so it lands ~11% short (docs/validation.md). The
// simulator's P50 closes most of the gap. The bound here is 12%, not 10%.
TEST(Validation, Flm101bFromScratchBaseline) {
  const double err = error_of("scratch", "days");
  EXPECT_LE(std::fabs(err), 0.12);
  EXPECT_LT(err, 0) << "the failure-free planner must not be slower than the real run";
  // Growth saves ~72% of the time in the paper.
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  PlanEstimate e = estimate_plan(plan);
  EXPECT_NEAR(1 - e.total.seconds / e.scratch_total.seconds, 0.72, 0.04);
}

}  // namespace
}  // namespace sprout::planner
