// SPDX-License-Identifier: GPL-3.0-or-later
// sprout plan PLAN.yaml [--hardware H] [--gpus N] [--region R] [--price USD]
//                       [--format table|json|csv] [--explain] [--simulate-iteration]
//                       [--with-failures [--trials N] [--seed S]]
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>

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
  auto with_failures = std::make_shared<bool>(false);
  auto trials = std::make_shared<long long>(1000);
  auto seed = std::make_shared<std::uint64_t>(1);
  add_plan_options(*cmd, *values);
  cmd->add_flag("--explain", *explain, "Show the iteration-time breakdown and runner-up layouts");
  cmd->add_flag("--no-baseline", *no_baseline, "Skip the from-scratch baseline");
  cmd->add_flag("--simulate-iteration", *simulate_iteration,
                "Iteration times from the simulator's pipeline DAG instead of the analytic model");
  cmd->add_flag("--with-failures", *with_failures,
                "Also print the simulator's P50 time, GPU-hours, USD and CO2e (failures and restarts included), "
                "to compare with published totals");
  cmd->add_option("--trials", *trials, "Monte Carlo trials for --with-failures (default 1000)")
      ->check(CLI::Range(1LL, 1000000LL));
  cmd->add_option("--seed", *seed, "Random seed for --with-failures (default 1)");
  cmd->callback([values, explain, no_baseline, simulate_iteration, with_failures, trials, seed] {
    planner::Plan plan = values->load();
    planner::EstimateOptions options;
    options.with_scratch_baseline = !*no_baseline;
    if (*simulate_iteration) options.refine_iteration = simulator::simulated_iteration_estimate;
    planner::PlanEstimate est = planner::estimate_plan(plan, options);
    std::optional<simulator::PercentileRunCosts> median;
    if (*with_failures) median = simulator::run_costs_at(plan, 0.5, *trials, *seed);
    const simulator::PercentileRunCosts* p50 = median ? &*median : nullptr;
    switch (values->format) {
      case Format::kJson: {
        nlohmann::json j = planner::to_json(est, plan);
        if (median) j["with_failures"] = median_json(*median);
        std::cout << j.dump(2) << "\n";
        break;
      }
      case Format::kCsv:
        std::cout << estimate_csv(est, plan, p50);
        break;
      case Format::kTable:
      case Format::kMarkdown:  // not offered
        std::cout << estimate_table(est, plan, p50);
        if (*explain) std::cout << estimate_explanation(est, plan);
        break;
    }
  });
}

}  // namespace sprout::cli
