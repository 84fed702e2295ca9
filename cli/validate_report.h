// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout validate` output: the predictions next to the published numbers
// (table, CSV, JSON, markdown) and, with --cross-validate, the in-sample and
// leave-one-group-out errors side by side.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/runs/cross_validation.h"
#include "sprout/planner/runs/published_runs.h"

namespace sprout::cli {

struct ValidationReport {
  std::vector<planner::ValidationRow> rows;                  // with the shipped constants
  std::optional<planner::CrossValidation> cross_validation;  // --cross-validate
};

std::string validation_markdown(const ValidationReport& report);
std::string validation_table(const ValidationReport& report, bool csv);
nlohmann::json validation_json(const ValidationReport& report);

}  // namespace sprout::cli
