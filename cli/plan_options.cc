// SPDX-License-Identifier: GPL-3.0-or-later
#include "plan_options.h"

#include "output.h"

namespace sprout::cli {

planner::PlanOverrides PlanOptionValues::overrides() const {
  planner::PlanOverrides o;
  o.hardware = hardware;
  o.gpus = gpus;
  o.region = region;
  o.price_usd_per_gpu_hour = price;
  if (power_model) {
    o.power_model = *power_model == "typical" ? planner::PowerModel::kTypical : planner::PowerModel::kTdp;
  }
  return o;
}

planner::Plan PlanOptionValues::load() const { return planner::load_plan(plan_file, overrides()); }

void add_plan_options(CLI::App& cmd, PlanOptionValues& v) {
  cmd.add_option("plan", v.plan_file, "Plan file (YAML)")->required();
  cmd.add_option("--hardware", v.hardware, "Hardware profile name or path (overrides the plan)");
  cmd.add_option("--gpus", v.gpus, "GPU count (overrides the plan; stage layouts rescale DP)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--region", v.region, "Region profile name or path (overrides the plan)");
  cmd.add_option("--price", v.price, "USD per GPU-hour (overrides the plan)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--power-model", v.power_model, "tdp | typical")
      ->check(CLI::IsMember({"tdp", "typical"}));
  cmd.add_option("--format", v.format, "table | json | csv")->check(CLI::IsMember(kFormatNames));
}

}  // namespace sprout::cli
