// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout search` output: the ranked schedules, the from-scratch baseline and,
// with --compare, where a given plan sits against the Pareto front.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/search/schedule_search.h"
#include "sprout/simulator/run/monte_carlo.h"

namespace sprout::cli {

struct PlanComparison {
  std::string plan_file;
  planner::ScheduleCandidate candidate;
  planner::FrontPlacement placement;
  std::string note;  // why the comparison may not be like for like, or empty
};

struct SearchReport {
  const planner::SearchRequest& request;
  const planner::SearchResult& result;
  size_t top = 10;                      // candidates shown
  std::vector<std::string> plan_files;  // written plans, one per shown candidate (or empty)
  std::string scratch_plan_file;        // written baseline (or empty)
  std::optional<PlanComparison> comparison;
  // Simulated P10/P50/P90 (failures, checkpoints, evaluations) of each shown
  // candidate and of the baseline; empty with --risk-trials 0.
  std::vector<simulator::MetricBands> risk;
  std::optional<simulator::MetricBands> scratch_risk;
};

std::string search_table(const SearchReport& report);
std::string search_csv(const SearchReport& report);
nlohmann::json search_json(const SearchReport& report);

}  // namespace sprout::cli
