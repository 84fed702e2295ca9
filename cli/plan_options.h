// SPDX-License-Identifier: GPL-3.0-or-later
// The plan-override flags shared by plan, simulate, export and compare, and
// the cluster flags they share with search.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "output.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::cli {

// What --hardware, --gpus, --region, --price and --power-model say about the cluster.
struct ClusterFlags {
  CLI::Option* hardware;
  CLI::Option* gpus;
  CLI::Option* region;
  CLI::Option* price;
  CLI::Option* power_model;
};
// `overridden` names what a flag replaces in the help texts ("the plan").
ClusterFlags add_cluster_options(CLI::App& cmd, planner::ClusterOverrides& cluster, const std::string& overridden);

struct PlanOptionValues {
  std::string plan_file;
  planner::ClusterOverrides cluster;
  Format format = Format::kTable;

  planner::Plan load() const;  // load_plan with the overrides
};

// Adds PLAN.yaml and --hardware/--gpus/--region/--price/--power-model/--format.
void add_plan_options(CLI::App& cmd, PlanOptionValues& values);

}  // namespace sprout::cli
