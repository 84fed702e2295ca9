// SPDX-License-Identifier: GPL-3.0-or-later
#include "validate_report.h"

#include <fmt/format.h>

#include <cmath>

#include "output.h"

namespace sprout::cli {
namespace {

using planner::CrossValidation;
using planner::ErrorSummary;
using planner::GroupValidation;
using planner::ValidationRow;

// 4 significant digits without switching to exponents for big numbers.
std::string table_number(double v) { return std::fabs(v) >= 1e4 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v); }

std::string error_text(double fraction) { return fmt::format("{:+.1f}%", 100 * fraction); }

std::string summary_text(const ErrorSummary& s) {
  return fmt::format("mean |error| {:.2f}%, max {:.2f}% over {} numbers", 100 * s.mean_abs, 100 * s.max_abs, s.count);
}

// "published" when the source prints the figure, "derived" when we computed it.
const char* kind_of(const planner::PublishedNumber& n) { return n.derived.empty() ? "published" : "derived"; }

std::string compared_with(const ValidationRow& r) { return r.predicted_at_p50 ? "P50" : "plan"; }

std::string plan_path(const std::string& file) {
  const size_t at = file.find("plans/");
  return at == std::string::npos ? file : file.substr(at);
}

const GroupValidation* group_of(const std::optional<CrossValidation>& cv, const std::string& group) {
  if (!cv) return nullptr;
  for (const GroupValidation& g : cv->groups) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

// The cross-validated row for the same number (same position in its group).
const ValidationRow* cv_row(const GroupValidation* g, const ValidationRow& row, size_t index_in_group) {
  if (!g || index_in_group >= g->cv_rows.size()) return nullptr;
  const ValidationRow& r = g->cv_rows[index_in_group];
  return r.reference.metric == row.reference.metric && r.reference.stage == row.reference.stage ? &r : nullptr;
}

std::string group_heading(const std::string& group, const std::vector<ValidationRow>& rows, const GroupValidation* g) {
  std::string out = fmt::format("\n### {}\n\nin sample: {}", group, summary_text(planner::summarize(rows, group)));
  if (g)
    out += fmt::format("; cross-validated (constants fitted without {}): {}", group, summary_text(g->cross_validated));
  out += "\n\n| plan | stage | metric | published | figure | compared with | sprout | error |";
  out += g ? " sprout (cv) | error (cv) |" : "";
  out += " source |\n|---|---|---|---:|---|---|---:|---:|";
  out += g ? "---:|---:|" : "";
  return out + "---|\n";
}

std::string sources_note(const planner::PublishedNumber& n) {
  return n.derived.empty() ? n.source : n.source + "; derived: " + n.derived;
}

std::string summary_markdown(const CrossValidation& cv) {
  std::string out =
      "\n### Every group: in sample and cross-validated\n\n"
      "| group | numbers | in-sample MAPE | cross-validated MAPE | speed numbers | speed in-sample | speed "
      "cross-validated | constants fitted without the group |\n|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const GroupValidation& g : cv.groups) {
    out += fmt::format("| {} | {} | {:.2f}% | {:.2f}% | {} | {:.2f}% | {:.2f}% | {} |\n", g.group, g.in_sample.count,
                       100 * g.in_sample.mean_abs, 100 * g.cross_validated.mean_abs, g.in_sample_speed.count,
                       100 * g.in_sample_speed.mean_abs, 100 * g.cross_validated_speed.mean_abs,
                       planner::describe(g.fitted_without));
  }
  out += fmt::format(
      "\nAll {} numbers: in sample {:.2f}% MAPE, cross-validated {:.2f}%. Speed numbers (TF/GPU, iteration times, "
      "GPU-hours of logged iteration times; {} of them): in sample {:.2f}%, cross-validated {:.2f}%. TF/GPU and "
      "iteration times alone ({} of them): in sample {:.2f}%, cross-validated {:.2f}%.\n\n"
      "Shipped constants: {}; the same fit on every group gives {}.\n",
      cv.in_sample.count, 100 * cv.in_sample.mean_abs, 100 * cv.cross_validated.mean_abs, cv.in_sample_speed.count,
      100 * cv.in_sample_speed.mean_abs, 100 * cv.cross_validated_speed.mean_abs, cv.in_sample_tflops.count,
      100 * cv.in_sample_tflops.mean_abs, 100 * cv.cross_validated_tflops.mean_abs, planner::describe(cv.shipped),
      planner::describe(cv.fitted_on_all));
  return out;
}

nlohmann::json row_json(const ValidationRow& r) {
  return {{"group", r.reference.group},       {"plan", r.reference.plan_file},      {"stage", r.reference.stage},
          {"metric", r.reference.metric},     {"published", r.reference.published}, {"predicted", r.predicted},
          {"error", r.error_fraction()},      {"source", r.reference.source},       {"derived", r.reference.derived},
          {"compared_with", compared_with(r)}};
}

nlohmann::json summary_json(const ErrorSummary& s) {
  return {{"mean_abs_error", s.mean_abs}, {"max_abs_error", s.max_abs}, {"count", s.count}};
}

}  // namespace

std::string validation_markdown(const ValidationReport& report) {
  std::string out;
  std::string group;
  size_t index_in_group = 0;
  const GroupValidation* g = nullptr;
  for (const ValidationRow& r : report.rows) {
    if (r.reference.group != group) {
      group = r.reference.group;
      index_in_group = 0;
      g = group_of(report.cross_validation, group);
      out += group_heading(group, report.rows, g);
    }
    out += fmt::format("| {} | {} | {} | {:g} | {} | {} | {} | {} |", plan_path(r.reference.plan_file),
                       r.reference.stage, r.reference.metric, r.reference.published, kind_of(r.reference),
                       compared_with(r), table_number(r.predicted), error_text(r.error_fraction()));
    if (g) {
      const ValidationRow* cv = cv_row(g, r, index_in_group);
      out += cv ? fmt::format(" {} | {} |", table_number(cv->predicted), error_text(cv->error_fraction())) : " | |";
    }
    out += " " + sources_note(r.reference) + " |\n";
    ++index_in_group;
  }
  if (report.cross_validation) {
    out += summary_markdown(*report.cross_validation);
  } else {
    const ErrorSummary all = planner::summarize(report.rows);
    out += fmt::format("\nAll {} numbers: mean |error| {:.2f}% (MAPE), max {:.2f}%.\n", all.count, 100 * all.mean_abs,
                       100 * all.max_abs);
  }
  return out;
}

std::string validation_table(const ValidationReport& report, bool csv) {
  TextTable t({"group", "stage", "metric", "published", "figure", "vs", "sprout", "error", "source"});
  for (const ValidationRow& r : report.rows) {
    t.add_row({r.reference.group, r.reference.stage, r.reference.metric, fmt::format("{:g}", r.reference.published),
               kind_of(r.reference), compared_with(r), table_number(r.predicted), error_text(r.error_fraction()),
               r.reference.source});
  }
  if (csv) return t.render_csv();
  std::string out = t.render();
  if (report.cross_validation) {
    TextTable groups({"group", "numbers", "in sample", "cross-validated", "speed in sample", "speed cv"});
    for (const GroupValidation& g : report.cross_validation->groups) {
      groups.add_row({g.group, std::to_string(g.in_sample.count), fmt::format("{:.2f}%", 100 * g.in_sample.mean_abs),
                      fmt::format("{:.2f}%", 100 * g.cross_validated.mean_abs),
                      fmt::format("{:.2f}%", 100 * g.in_sample_speed.mean_abs),
                      fmt::format("{:.2f}%", 100 * g.cross_validated_speed.mean_abs)});
    }
    const CrossValidation& cv = *report.cross_validation;
    out += "\n" + groups.render();
    out += fmt::format(
        "all: in sample {:.2f}%, cross-validated {:.2f}%; speed: {:.2f}% / {:.2f}%; TF/GPU: {:.2f}% / {:.2f}% "
        "(MAPE)\nshipped constants: {}\nfitted on every group: {}\n",
        100 * cv.in_sample.mean_abs, 100 * cv.cross_validated.mean_abs, 100 * cv.in_sample_speed.mean_abs,
        100 * cv.cross_validated_speed.mean_abs, 100 * cv.in_sample_tflops.mean_abs,
        100 * cv.cross_validated_tflops.mean_abs, planner::describe(cv.shipped), planner::describe(cv.fitted_on_all));
    return out;
  }
  for (const std::string& g : planner::groups_of([&] {
         std::vector<planner::PublishedNumber> numbers;
         for (const ValidationRow& r : report.rows) numbers.push_back(r.reference);
         return numbers;
       }())) {
    const ErrorSummary s = planner::summarize(report.rows, g);
    out += fmt::format("{}: mean |error| {:.2f}%, max {:.2f}%\n", g, 100 * s.mean_abs, 100 * s.max_abs);
  }
  return out;
}

nlohmann::json validation_json(const ValidationReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ValidationRow& r : report.rows) rows.push_back(row_json(r));
  if (!report.cross_validation) return rows;
  const CrossValidation& cv = *report.cross_validation;
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupValidation& g : cv.groups) {
    nlohmann::json cv_rows = nlohmann::json::array();
    for (const ValidationRow& r : g.cv_rows) cv_rows.push_back(row_json(r));
    groups.push_back({{"group", g.group},
                      {"in_sample", summary_json(g.in_sample)},
                      {"cross_validated", summary_json(g.cross_validated)},
                      {"in_sample_speed", summary_json(g.in_sample_speed)},
                      {"cross_validated_speed", summary_json(g.cross_validated_speed)},
                      {"constants_fitted_without", planner::describe(g.fitted_without)},
                      {"cross_validated_rows", cv_rows}});
  }
  return {{"rows", rows},
          {"groups", groups},
          {"shipped_constants", planner::describe(cv.shipped)},
          {"constants_fitted_on_all", planner::describe(cv.fitted_on_all)},
          {"in_sample", summary_json(cv.in_sample)},
          {"cross_validated", summary_json(cv.cross_validated)},
          {"in_sample_speed", summary_json(cv.in_sample_speed)},
          {"cross_validated_speed", summary_json(cv.cross_validated_speed)},
          {"in_sample_tflops", summary_json(cv.in_sample_tflops)},
          {"cross_validated_tflops", summary_json(cv.cross_validated_tflops)}};
}

}  // namespace sprout::cli
