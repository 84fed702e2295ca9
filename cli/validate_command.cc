// SPDX-License-Identifier: GPL-3.0-or-later
// sprout validate [--published FILE] [--format table|json|csv|markdown]
// Predictions next to published runs; scripts/regenerate-validation.sh turns
// the markdown form into docs/validation.md.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"
#include "sprout/planner/base/data_dirs.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/runs/published_runs.h"

namespace sprout::cli {
namespace {

// 4 significant digits without switching to exponents for big numbers.
std::string number(double v) { return std::fabs(v) >= 1e4 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v); }

std::string markdown(const std::vector<planner::ValidationRow>& rows) {
  std::string out;
  std::string group;
  for (const auto& r : rows) {
    if (r.reference.group != group) {
      group = r.reference.group;
      auto s = planner::summarize(rows, group);
      out += fmt::format("\n### {}\n\nmean |error| {:.2f}%, max |error| {:.2f}% over {} numbers\n\n", group,
                         100 * s.mean_abs, 100 * s.max_abs, s.count);
      out += "| plan | stage | metric | published | sprout | error |\n|---|---|---|---:|---:|---:|\n";
    }
    const std::string plan = r.reference.plan_file.substr(r.reference.plan_file.find("plans/"));
    out += fmt::format("| {} | {} | {} | {:g} | {} | {:+.1f}% |\n", plan, r.reference.stage, r.reference.metric,
                       r.reference.published, number(r.predicted), 100 * r.error_fraction());
  }
  auto all = planner::summarize(rows);
  out += fmt::format("\nAll {} numbers: mean |error| {:.2f}% (MAPE), max {:.2f}%.\n", all.count, 100 * all.mean_abs,
                     100 * all.max_abs);
  return out;
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
  cmd->add_option("--published", *file,
                  "Published numbers (YAML; default: plans/validation/published.yaml of sprout's data)");
  add_format_option(*cmd, *format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMarkdown});
  cmd->callback([file, format] {
    if (file->empty()) *file = default_published_file();
    auto rows = planner::validate(planner::load_published_numbers(*file));
    if (*format == Format::kMarkdown) {
      std::cout << markdown(rows);
      return;
    }
    if (*format == Format::kJson) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : rows) {
        j.push_back({{"group", r.reference.group},
                     {"plan", r.reference.plan_file},
                     {"stage", r.reference.stage},
                     {"metric", r.reference.metric},
                     {"published", r.reference.published},
                     {"predicted", r.predicted},
                     {"error", r.error_fraction()},
                     {"source", r.reference.source}});
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    TextTable t({"group", "stage", "metric", "published", "sprout", "error", "source"});
    for (const auto& r : rows) {
      t.add_row({r.reference.group, r.reference.stage, r.reference.metric, fmt::format("{:g}", r.reference.published),
                 number(r.predicted), fmt::format("{:+.1f}%", 100 * r.error_fraction()), r.reference.source});
    }
    std::cout << (*format == Format::kCsv ? t.render_csv() : t.render());
    if (*format == Format::kTable) {
      for (const char* g : {"korthikanti", "flm-101b"}) {
        auto s = planner::summarize(rows, g);
        std::cout << fmt::format("{}: mean |error| {:.2f}%, max {:.2f}%\n", g, 100 * s.mean_abs, 100 * s.max_abs);
      }
    }
  });
}

}  // namespace sprout::cli
