// SPDX-License-Identifier: GPL-3.0-or-later
// The model against published runs it was not fitted to: every group
// predicted with the constants fitted without it (docs/validation.md).
#include "sprout/planner/runs/cross_validation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_paths.h"

namespace sprout::planner {
namespace {

const PublishedRuns& runs() {
  static const PublishedRuns r(load_published_numbers(test::source_path("plans/validation/published.yaml")));
  return r;
}

const CrossValidation& cross_validation() {
  static const CrossValidation cv = cross_validate(runs(), {});
  return cv;
}

TEST(CrossValidation, EveryPublishedGroupIsPredictedWithoutItsOwnFit) {
  const CrossValidation& cv = cross_validation();
  ASSERT_GE(cv.groups.size(), 10u);
  int numbers = 0;
  for (const GroupValidation& g : cv.groups) {
    EXPECT_EQ(g.rows.size(), g.cv_rows.size()) << g.group;
    EXPECT_GT(g.in_sample.count, 0) << g.group;
    numbers += g.in_sample.count;
  }
  // 21 Korthikanti and FLM-101B numbers + 29 of eight runs the model was not developed against.
  EXPECT_GE(numbers, 50);
}

// The bound: predicting the speed of runs outside the fit (TF/GPU
// and iteration times, which are TF/GPU at a known amount of work), the
// mean error stays within 10%. GPU-hours of whole campaigns (Pythia) are
// reported beside it but are totals, not TF/GPU.
TEST(CrossValidation, OutOfGroupTflopsErrorIsWithinTenPercent) {
  const CrossValidation& cv = cross_validation();
  std::vector<ValidationRow> cv_rows, in_rows;
  for (const GroupValidation& g : cv.groups) {
    cv_rows.insert(cv_rows.end(), g.cv_rows.begin(), g.cv_rows.end());
    in_rows.insert(in_rows.end(), g.rows.begin(), g.rows.end());
  }
  auto tflops = [](const ValidationRow& r) { return is_speed_metric(r.reference.metric); };
  const ErrorSummary out_of_group = summarize_if(cv_rows, tflops);
  EXPECT_GE(out_of_group.count, 31);
  EXPECT_LE(out_of_group.mean_abs, 0.10);
  // Every speed number, campaign GPU-hours of logged iteration times included.
  EXPECT_GE(cv.cross_validated_speed.count, 39);
  EXPECT_LE(cv.cross_validated_speed.mean_abs, 0.11);
  // The shipped constants are fitted on every group: in sample is no worse.
  EXPECT_LE(summarize_if(in_rows, tflops).mean_abs, out_of_group.mean_abs);
}

TEST(CrossValidation, KorthikantiStaysWithinThreeAndAHalfPercentInSample) {
  for (const GroupValidation& g : cross_validation().groups) {
    if (g.group == "korthikanti") {
      EXPECT_LE(g.in_sample.mean_abs, 0.035);
      EXPECT_EQ(g.in_sample.count, 8);
      return;
    }
  }
  ADD_FAILURE() << "no korthikanti group";
}

// The shipped constants are the fit on every group, not hand-tuned values.
TEST(CrossValidation, ShippedConstantsAreTheFitOnEveryGroup) {
  const CrossValidation& cv = cross_validation();
  for (const CalibrationConstant& k : calibration_constants()) {
    EXPECT_NEAR(cv.shipped.*k.field, cv.fitted_on_all.*k.field, 0.01 * std::fabs(k.prior) + 1e-9) << k.name;
    if (!k.refit) {
      EXPECT_EQ(cv.fitted_on_all.*k.field, k.prior) << k.name;
    }
  }
}

// A constant no remaining number depends on keeps its prior: leaving out
// every run of a kind cannot borrow that kind's fitted value.
TEST(CrossValidation, ConstantsWithoutDataStayAtTheirPriors) {
  std::vector<PublishedNumber> megatron_only;
  for (const PublishedNumber& n : runs().numbers()) {
    if (n.group == "korthikanti") megatron_only.push_back(n);
  }
  const ModelCalibration fitted = fit_calibration(PublishedRuns(megatron_only), "");
  EXPECT_EQ(fitted.other_framework_efficiency, prior_calibration().other_framework_efficiency);
}

}  // namespace
}  // namespace sprout::planner
