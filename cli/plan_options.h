// SPDX-License-Identifier: GPL-3.0-or-later
// The plan-override flags shared by plan, simulate, export and compare.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "sprout/planner/io/plan_loader.h"

namespace sprout::cli {

struct PlanOptionValues {
  std::string plan_file;
  std::optional<std::string> hardware;
  std::optional<int> gpus;
  std::optional<std::string> region;
  std::optional<double> price;
  std::optional<std::string> power_model;
  std::string format = "table";

  planner::PlanOverrides overrides() const;
  planner::Plan load() const;  // load_plan with the overrides
};

// Adds PLAN.yaml and --hardware/--gpus/--region/--price/--power-model/--format.
void add_plan_options(CLI::App& cmd, PlanOptionValues& values);

}  // namespace sprout::cli
