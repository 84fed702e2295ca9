// SPDX-License-Identifier: GPL-3.0-or-later
// How well the model predicts published runs it was not fitted to: the
// constants of model_calibration.h that are fitted (refit = true) are refit
// by least squares on log errors without one published group at a time, and
// that group is predicted with them (leave one group out). The shipped
// constants are the same fit on every group: the in-sample errors.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/model/model_calibration.h"
#include "sprout/planner/runs/published_runs.h"

namespace sprout::planner {

// Least squares on log errors: minimises the sum over groups of each
// group's mean squared log(predicted / published) over the fit targets
// (is_fit_target) of every group but `left_out` ("" = none), so that a group
// with many numbers weighs as much as one with few. Levenberg-Marquardt from
// the priors, inside each constant's range; a constant no remaining number
// depends on stays at its prior.
ModelCalibration fit_calibration(const PublishedRuns& runs, const std::string& left_out);

struct GroupValidation {
  std::string group;
  ErrorSummary in_sample;        // with the shipped constants
  ErrorSummary cross_validated;  // with the constants fitted without this group
  ErrorSummary in_sample_speed;  // the same over the speed numbers only (the fit targets, is_fit_target)
  ErrorSummary cross_validated_speed;
  ModelCalibration fitted_without;
  std::vector<ValidationRow> rows;     // in-sample
  std::vector<ValidationRow> cv_rows;  // cross-validated
};

struct CrossValidation {
  std::vector<GroupValidation> groups;
  ModelCalibration shipped;
  ModelCalibration fitted_on_all;           // the same fit on every group: what `shipped` should be
  ErrorSummary in_sample, cross_validated;  // every number
  // Speed numbers: TF/GPU, iteration times, GPU-hours of logged iteration times.
  ErrorSummary in_sample_speed, cross_validated_speed;
  // TF/GPU and iteration times only (is_speed_metric): the bound.
  ErrorSummary in_sample_tflops, cross_validated_tflops;
};

// `options.calibration` is the shipped set; its median_run predicts the
// numbers compared at P50 (the fits never use those).
CrossValidation cross_validate(const PublishedRuns& runs, const ValidateOptions& options);

}  // namespace sprout::planner
