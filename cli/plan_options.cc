// SPDX-License-Identifier: GPL-3.0-or-later
#include "plan_options.h"

#include "enum_option.h"

namespace sprout::cli {

ClusterFlags add_cluster_options(CLI::App& cmd, planner::ClusterOverrides& c, const std::string& overridden) {
  ClusterFlags f;
  f.hardware = cmd.add_option("--hardware", c.hardware, "Hardware profile name or path" + overridden);
  f.gpus = cmd.add_option("--gpus", c.gpus, "GPU count" + overridden)->check(CLI::PositiveNumber);
  f.region = cmd.add_option("--region", c.region, "Region profile name or path" + overridden);
  f.price = cmd.add_option("--price", c.price_usd_per_gpu_hour, "USD per GPU-hour" + overridden)
                ->check(CLI::NonNegativeNumber);
  f.power_model = add_enum_option(cmd, "--power-model", c.power_model, planner::EnumNames<planner::PowerModel>::list());
  return f;
}

planner::Plan PlanOptionValues::load() const { return planner::load_plan(plan_file, cluster); }

void add_plan_options(CLI::App& cmd, PlanOptionValues& v) {
  cmd.add_option("plan", v.plan_file, "Plan file (YAML)")->required();
  const ClusterFlags f = add_cluster_options(cmd, v.cluster, " (overrides the plan)");
  f.gpus->description("GPU count (overrides the plan; stage layouts rescale DP)");
  add_format_option(cmd, v.format);
}

}  // namespace sprout::cli
