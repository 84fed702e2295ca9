// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/cross_validation.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>

namespace sprout::planner {
namespace {

// The weighted log errors the fit minimises the squares of: each of a
// group's n numbers weighs 1/sqrt(n), so every group counts the same.
std::vector<double> fit_residuals(const PublishedRuns& runs, const std::string& left_out, const ModelCalibration& c) {
  ValidateOptions options;
  options.calibration = c;
  options.only_fit_targets = true;
  const std::vector<ValidationRow> rows = runs.validate(options);
  std::map<std::string, int> count;
  for (const ValidationRow& r : rows) ++count[r.reference.group];
  std::vector<double> residuals;
  for (const ValidationRow& r : rows) {
    if (r.reference.group == left_out) continue;
    residuals.push_back(std::log(r.predicted / r.reference.published) / std::sqrt(count[r.reference.group]));
  }
  return residuals;
}

double sum_of_squares(const std::vector<double>& r) {
  double s = 0;
  for (double v : r) s += v * v;
  return s;
}

// The constants the fit moves.
std::vector<const CalibrationConstant*> refit_constants() {
  std::vector<const CalibrationConstant*> out;
  for (const CalibrationConstant& k : calibration_constants()) {
    if (k.refit) out.push_back(&k);
  }
  return out;
}

GroupValidation validate_group(const std::string& group, const std::vector<ValidationRow>& in_sample,
                               const std::vector<ValidationRow>& cross_validated, const ModelCalibration& fitted) {
  GroupValidation g;
  g.group = group;
  g.fitted_without = fitted;
  for (const ValidationRow& r : in_sample) {
    if (r.reference.group == group) g.rows.push_back(r);
  }
  for (const ValidationRow& r : cross_validated) {
    if (r.reference.group == group) g.cv_rows.push_back(r);
  }
  auto speed = [](const ValidationRow& r) { return is_fit_target(r.reference); };
  g.in_sample = summarize(g.rows);
  g.cross_validated = summarize(g.cv_rows);
  g.in_sample_speed = summarize_if(g.rows, speed);
  g.cross_validated_speed = summarize_if(g.cv_rows, speed);
  return g;
}

}  // namespace

// Levenberg-Marquardt on the weighted log errors, the Jacobian by forward
// differences, each step clamped to the constants' ranges. A constant whose
// column of the Jacobian is zero (no remaining number depends on it) stays
// at its prior.
ModelCalibration fit_calibration(const PublishedRuns& runs, const std::string& left_out) {
  const std::vector<const CalibrationConstant*> ks = refit_constants();
  ModelCalibration c = prior_calibration();
  std::vector<double> r = fit_residuals(runs, left_out, c);
  if (r.empty() || ks.empty()) return c;
  double cost = sum_of_squares(r), damping = 1e-3;
  const Eigen::Index n = static_cast<Eigen::Index>(ks.size());
  for (int iteration = 0; iteration < 50; ++iteration) {
    Eigen::MatrixXd jacobian(static_cast<Eigen::Index>(r.size()), n);
    std::vector<bool> informed(ks.size(), false);
    for (Eigen::Index j = 0; j < n; ++j) {
      ModelCalibration moved = c;
      const double step = 1e-4 * std::max(1.0, std::fabs(c.*ks[j]->field));
      moved.*ks[j]->field += step;
      const std::vector<double> rj = fit_residuals(runs, left_out, moved);
      for (size_t i = 0; i < r.size(); ++i) {
        jacobian(static_cast<Eigen::Index>(i), j) = (rj[i] - r[i]) / step;
        informed[j] = informed[j] || rj[i] != r[i];
      }
    }
    const Eigen::Map<const Eigen::VectorXd> residual(r.data(), static_cast<Eigen::Index>(r.size()));
    const Eigen::MatrixXd normal = jacobian.transpose() * jacobian;
    const Eigen::VectorXd gradient = jacobian.transpose() * residual;
    bool improved = false;
    for (int attempt = 0; attempt < 12 && !improved; ++attempt) {
      Eigen::MatrixXd damped = normal;
      for (Eigen::Index j = 0; j < n; ++j) damped(j, j) += damping * std::max(normal(j, j), 1e-12);
      const Eigen::VectorXd delta = damped.ldlt().solve(-gradient);
      ModelCalibration trial = c;
      for (Eigen::Index j = 0; j < n; ++j) {
        if (!informed[j]) continue;
        trial.*ks[j]->field = std::clamp(c.*ks[j]->field + delta(j), ks[j]->lower, ks[j]->upper);
      }
      std::vector<double> rt = fit_residuals(runs, left_out, trial);
      const double trial_cost = sum_of_squares(rt);
      if (trial_cost < cost) {
        improved = cost - trial_cost > 1e-12 * cost;
        c = trial;
        r = std::move(rt);
        cost = trial_cost;
        damping = std::max(damping / 10, 1e-9);
        if (!improved) return c;
      } else {
        damping *= 10;
      }
    }
    if (!improved) break;
  }
  return c;
}

CrossValidation cross_validate(const PublishedRuns& runs, const ValidateOptions& options) {
  CrossValidation cv;
  cv.shipped = options.calibration;
  cv.fitted_on_all = fit_calibration(runs, "");
  const std::vector<ValidationRow> in_sample = runs.validate(options);
  std::vector<ValidationRow> all_in, all_cv;
  for (const std::string& group : groups_of(runs.numbers())) {
    ValidateOptions without = options;
    without.calibration = fit_calibration(runs, group);
    const std::vector<ValidationRow> predicted = runs.validate(without);
    cv.groups.push_back(validate_group(group, in_sample, predicted, without.calibration));
    all_in.insert(all_in.end(), cv.groups.back().rows.begin(), cv.groups.back().rows.end());
    all_cv.insert(all_cv.end(), cv.groups.back().cv_rows.begin(), cv.groups.back().cv_rows.end());
  }
  auto speed = [](const ValidationRow& r) { return is_fit_target(r.reference); };
  cv.in_sample = summarize(all_in);
  cv.cross_validated = summarize(all_cv);
  cv.in_sample_speed = summarize_if(all_in, speed);
  cv.cross_validated_speed = summarize_if(all_cv, speed);
  auto tflops = [](const ValidationRow& r) { return is_speed_metric(r.reference.metric); };
  cv.in_sample_tflops = summarize_if(all_in, tflops);
  cv.cross_validated_tflops = summarize_if(all_cv, tflops);
  return cv;
}

}  // namespace sprout::planner
