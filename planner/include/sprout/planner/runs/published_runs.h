// SPDX-License-Identifier: GPL-3.0-or-later
// sprout's predictions next to published numbers (plans/validation/published.yaml).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/model/model_calibration.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct PublishedNumber {
  std::string group;      // "korthikanti", "flm-101b", "bloom", ...
  std::string plan_file;  // resolved path
  std::string stage;      // stage name, "total" or "scratch"
  std::string metric;     // iteration_seconds | tflops_per_gpu | hardware_tflops_per_gpu | days | gpu_hours |
                          // cost_usd | energy_mwh | co2e_t | zflops
  double published = 0;
  std::string source;   // paper, table or page
  std::string derived;  // how we computed it from the source's figures; "" when printed there
  std::string quote;    // the source's words that state the number (kept with the data, not printed)
  // The published figure includes failures and restarts: compare it with the
  // simulator's median run (P50), not the failure-free plan.
  bool at_p50 = false;
};

// The metrics that measure the iteration-time model itself (speed), as
// opposed to campaign totals that also count restarts, evaluations and
// idle time.
bool is_speed_metric(const std::string& metric);

// A number the model's constants may be fitted to: a speed metric, or a
// failure-free campaign total (GPU-hours from logged iteration times).
bool is_fit_target(const PublishedNumber& number);

struct ValidationRow {
  PublishedNumber reference;
  double predicted = 0;
  bool predicted_at_p50 = false;  // from the simulator's P50 (else the failure-free planner)
  double error_fraction() const { return predicted / reference.published - 1; }
};

std::vector<PublishedNumber> load_published_numbers(const std::string& path);

// The metric for a stage ("total" and "scratch" are the plan total and the
// from-scratch baseline). Throws InputError for an unknown stage or metric.
double predicted_metric(const PlanEstimate& estimate, const std::string& stage, const std::string& metric);

// The simulator's median-run costs of a plan: per stage (by name) and for the
// whole run. The planner cannot depend on the simulator; `sprout validate`
// passes one in.
struct MedianRunCosts {
  std::vector<std::pair<std::string, Costs>> stages;
  Costs total;
};
using MedianRunEstimator = std::function<MedianRunCosts(const Plan& plan)>;

struct ValidateOptions {
  MedianRunEstimator median_run;  // empty: numbers marked at_p50 get the failure-free figure
  ModelCalibration calibration;   // the model's constants for every plan
  bool only_fit_targets = false;  // skip the numbers no fit uses (faster)
};

// Plans are parsed once and kept: a fit estimates them many times.
class PublishedRuns {
 public:
  explicit PublishedRuns(std::vector<PublishedNumber> numbers);
  const std::vector<PublishedNumber>& numbers() const { return numbers_; }
  std::vector<ValidationRow> validate(const ValidateOptions& options) const;

 private:
  std::vector<PublishedNumber> numbers_;
  std::vector<std::pair<std::string, Plan>> plans_;
};

std::vector<ValidationRow> validate(const std::vector<PublishedNumber>& numbers, const ValidateOptions& options = {});

// Mean and max |error| over the rows of a group ("" = all rows).
struct ErrorSummary {
  double mean_abs = 0;
  double max_abs = 0;
  int count = 0;
};
ErrorSummary summarize(const std::vector<ValidationRow>& rows, const std::string& group = "");
// The same over the rows that `keep` selects.
ErrorSummary summarize_if(const std::vector<ValidationRow>& rows,
                          const std::function<bool(const ValidationRow&)>& keep);

// The groups in the order they first appear.
std::vector<std::string> groups_of(const std::vector<PublishedNumber>& numbers);

}  // namespace sprout::planner
