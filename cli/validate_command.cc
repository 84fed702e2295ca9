// SPDX-License-Identifier: GPL-3.0-or-later
// sprout validate [--published FILE] [--cross-validate] [--format table|json|csv|markdown]
// Predictions next to published runs; campaign totals that include restarts
// are compared with the simulator's P50. scripts/regenerate-validation.sh
// turns the markdown form into docs/validation.md.
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"
#include "sprout/planner/base/data_dirs.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/simulator/run/percentile_costs.h"
#include "validate_report.h"

namespace sprout::cli {
namespace {

// The simulator's median run with its defaults (1000 trials, seed 1).
planner::MedianRunCosts median_run(const planner::Plan& plan) {
  const simulator::PercentileRunCosts p50 = simulator::run_costs_at(plan, 0.5);
  return {p50.stages, p50.total};
}

// sprout's own list: installed, or the build's source tree (base/data_dirs.h).
std::string default_published_file() {
  const std::string relative = "plans/validation/published.yaml";
  if (auto found = planner::find_data_file(relative)) return *found;
  throw planner::InputError({"--published", 0, 0}, "published",
                            "no " + relative + " in sprout's data directories; give --published FILE");
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Compare predictions with published training runs");
  auto file = std::make_shared<std::string>();
  auto format = std::make_shared<Format>(Format::kTable);
  auto cross_validate = std::make_shared<bool>(false);
  cmd->add_option("--published", *file,
                  "Published numbers (YAML; default: plans/validation/published.yaml of sprout's data)");
  cmd->add_flag("--cross-validate", *cross_validate,
                "Also predict each group with the model's constants fitted without it (leave one group out)");
  add_format_option(*cmd, *format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMarkdown});
  cmd->callback([file, format, cross_validate] {
    if (file->empty()) *file = default_published_file();
    const planner::PublishedRuns runs(planner::load_published_numbers(*file));
    planner::ValidateOptions options;
    options.median_run = median_run;
    ValidationReport report;
    report.rows = runs.validate(options);
    if (*cross_validate) report.cross_validation = planner::cross_validate(runs, options);
    switch (*format) {
      case Format::kMarkdown:
        std::cout << validation_markdown(report);
        break;
      case Format::kJson:
        std::cout << validation_json(report).dump(2) << "\n";
        break;
      case Format::kCsv:
      case Format::kTable:
        std::cout << validation_table(report, *format == Format::kCsv);
        break;
    }
  });
}

}  // namespace sprout::cli
