// SPDX-License-Identifier: GPL-3.0-or-later
// sprout's predictions next to published numbers (plans/validation/published.yaml).
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"

namespace sprout::planner {

struct PublishedNumber {
  std::string group;      // "korthikanti", "flm-101b"
  std::string plan_file;  // resolved path
  std::string stage;      // stage name, "total" or "scratch"
  std::string metric;     // iteration_seconds | tflops_per_gpu | days | gpu_hours | cost_usd |
                          // energy_mwh | co2e_t | zflops
  double published = 0;
  std::string source;
};

struct ValidationRow {
  PublishedNumber reference;
  double predicted = 0;
  double error_fraction() const { return predicted / reference.published - 1; }
};

std::vector<PublishedNumber> load_published_numbers(const std::string& path);

// The metric for a stage ("total" and "scratch" are the plan total and the
// from-scratch baseline). Throws InputError for an unknown stage or metric.
double predicted_metric(const PlanEstimate& estimate, const std::string& stage, const std::string& metric);

std::vector<ValidationRow> validate(const std::vector<PublishedNumber>& numbers);

// Mean and max |error| over the rows of a group ("" = all rows).
struct ErrorSummary {
  double mean_abs = 0;
  double max_abs = 0;
  int count = 0;
};
ErrorSummary summarize(const std::vector<ValidationRow>& rows, const std::string& group = "");

}  // namespace sprout::planner
