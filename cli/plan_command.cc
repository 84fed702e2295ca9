// SPDX-License-Identifier: GPL-3.0-or-later
// sprout plan PLAN.yaml [--hardware H] [--gpus N] [--region R] [--price USD]
//                       [--format table|json|csv] [--explain] [--simulate-iteration]
#include <iostream>
#include <memory>

#include "commands.h"
#include "estimate_report.h"
#include "output.h"
#include "plan_options.h"
#include "sprout/planner/cost/estimate_json.h"
#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::cli {

void add_plan_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "Estimate time, cost, energy and CO2e of a growth schedule");
  auto values = std::make_shared<PlanOptionValues>();
  auto explain = std::make_shared<bool>(false);
  auto no_baseline = std::make_shared<bool>(false);
  auto simulate_iteration = std::make_shared<bool>(false);
  add_plan_options(*cmd, *values);
  cmd->add_flag("--explain", *explain, "Show the iteration-time breakdown and runner-up layouts");
  cmd->add_flag("--no-baseline", *no_baseline, "Skip the from-scratch baseline");
  cmd->add_flag("--simulate-iteration", *simulate_iteration,
                "Iteration times from the simulator's pipeline DAG instead of the analytic model");
  cmd->callback([values, explain, no_baseline, simulate_iteration] {
    planner::Plan plan = values->load();
    planner::EstimateOptions options;
    options.with_scratch_baseline = !*no_baseline;
    if (*simulate_iteration) options.refine_iteration = simulator::simulated_iteration_estimate;
    planner::PlanEstimate est = planner::estimate_plan(plan, options);
    switch (values->format) {
      case Format::kJson:
        std::cout << planner::to_json(est, plan).dump(2) << "\n";
        break;
      case Format::kCsv:
        std::cout << estimate_csv(est, plan);
        break;
      case Format::kTable:
      case Format::kMarkdown:  // not offered
        std::cout << estimate_table(est, plan);
        if (*explain) std::cout << estimate_explanation(est, plan);
        break;
    }
  });
}

}  // namespace sprout::cli
