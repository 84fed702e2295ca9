// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/published_runs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {
namespace {

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {"iteration_seconds",
                                                 "tflops_per_gpu",
                                                 "hardware_tflops_per_gpu",
                                                 "days",
                                                 "gpu_hours",
                                                 "cost_usd",
                                                 "energy_mwh",
                                                 "co2e_t",
                                                 "zflops"};
  return names;
}

PublishedNumber read_number(const YAML::Node& node, const std::string& file, size_t index) {
  YamlFields f(node, file, "numbers[" + std::to_string(index) + "]");
  PublishedNumber n;
  n.group = f.text("group");
  std::filesystem::path plan(f.text("plan"));
  if (plan.is_relative()) plan = std::filesystem::path(file).parent_path() / plan;
  n.plan_file = plan.lexically_normal().string();
  n.stage = f.text("stage");
  n.metric = f.choice("metric", metric_names());
  n.published = f.number("published", 1e-12, 1e30);
  n.source = f.text("source");
  n.derived = f.optional_text("derived").value_or("");
  n.quote = f.optional_text("quote").value_or("");
  n.at_p50 = f.optional_choice("compare_with", {"plan", "p50"}).value_or("plan") == "p50";
  if (n.at_p50 && is_speed_metric(n.metric)) {
    f.fail("compare_with", n.metric + " is a speed: the simulator's P50 adds failures to totals only");
  }
  f.finish();
  return n;
}

// The P50 figure of a stage ("total" for the run); throws when the
// simulator's answer has no such stage.
double median_metric(const MedianRunCosts& median, const std::string& stage, const std::string& metric) {
  const Costs* costs = stage == "total" ? &median.total : nullptr;
  for (const auto& [name, c] : median.stages) {
    if (name == stage) costs = &c;
  }
  if (!costs) throw InputError({}, "stage", "the simulated run has no stage '" + stage + "'");
  if (metric == "days") return costs->seconds / kSecondsPerDay;
  if (metric == "gpu_hours") return costs->gpu_hours;
  if (metric == "cost_usd") return costs->cost_usd;
  if (metric == "energy_mwh") return costs->energy_kwh / 1000;
  if (metric == "co2e_t") return costs->co2e_kg / 1000;
  throw InputError({}, "metric", metric + " has no P50 in the simulator");
}

}  // namespace

bool is_speed_metric(const std::string& metric) {
  return metric == "iteration_seconds" || metric == "tflops_per_gpu" || metric == "hardware_tflops_per_gpu";
}

bool is_fit_target(const PublishedNumber& n) {
  return is_speed_metric(n.metric) || (n.metric == "gpu_hours" && !n.at_p50 && n.stage != "scratch");
}

std::vector<PublishedNumber> load_published_numbers(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  YAML::Node list = top.child("numbers");
  top.finish();
  if (!list.IsSequence()) throw InputError(location_of(list, path), "numbers", "expected a list");
  std::vector<PublishedNumber> out;
  for (size_t i = 0; i < list.size(); ++i) out.push_back(read_number(list[i], path, i));
  return out;
}

double predicted_metric(const PlanEstimate& e, const std::string& stage, const std::string& metric) {
  const Costs* costs = nullptr;
  const StageEstimate* st = nullptr;
  if (stage == "total") {
    costs = &e.total;
  } else if (stage == "scratch") {
    if (!e.scratch_baseline) throw InputError({}, "stage", "no scratch baseline was estimated");
    st = &*e.scratch_baseline;
    costs = &st->costs;
  } else {
    for (const auto& s : e.stages) {
      if (s.name == stage) st = &s;
    }
    if (!st) throw InputError({}, "stage", "plan '" + e.name + "' has no stage '" + stage + "'");
    costs = &st->costs;
  }
  if (metric == "days") return costs->seconds / kSecondsPerDay;
  if (metric == "gpu_hours") return costs->gpu_hours;
  if (metric == "cost_usd") return costs->cost_usd;
  if (metric == "energy_mwh") return costs->energy_kwh / 1000;
  if (metric == "co2e_t") return costs->co2e_kg / 1000;
  if (metric == "zflops") return (st ? st->flops : e.total_flops) / 1e21;
  if (!st) throw InputError({}, "metric", metric + " needs a stage, not '" + stage + "'");
  if (metric == "iteration_seconds") return st->iteration.iteration_s;
  if (metric == "tflops_per_gpu") return st->iteration.tflops_per_gpu;
  if (metric == "hardware_tflops_per_gpu") return st->iteration.hardware_tflops_per_gpu;
  throw InputError({}, "metric", "unknown metric '" + metric + "'");
}

PublishedRuns::PublishedRuns(std::vector<PublishedNumber> numbers) : numbers_(std::move(numbers)) {
  for (const PublishedNumber& n : numbers_) {
    const bool seen = std::any_of(plans_.begin(), plans_.end(), [&](const auto& p) { return p.first == n.plan_file; });
    if (!seen) plans_.emplace_back(n.plan_file, load_plan(n.plan_file));
  }
}

std::vector<ValidationRow> PublishedRuns::validate(const ValidateOptions& options) const {
  std::vector<std::optional<ValidationRow>> by_number(numbers_.size());
  for (const auto& [file, loaded] : plans_) {
    std::vector<size_t> mine;
    bool scratch = false, median = false;
    for (size_t i = 0; i < numbers_.size(); ++i) {
      const PublishedNumber& n = numbers_[i];
      if (n.plan_file != file || (options.only_fit_targets && !is_fit_target(n))) continue;
      mine.push_back(i);
      scratch = scratch || n.stage == "scratch";
      median = median || (n.at_p50 && options.median_run);
    }
    if (mine.empty()) continue;
    Plan plan = loaded;
    plan.cluster.hardware.calibration = options.calibration;
    EstimateOptions estimate_options;
    estimate_options.with_scratch_baseline = scratch;
    const PlanEstimate estimate = estimate_plan(plan, estimate_options);
    const MedianRunCosts run = median ? options.median_run(plan) : MedianRunCosts{};
    for (size_t i : mine) {
      const PublishedNumber& n = numbers_[i];
      const bool at_p50 = n.at_p50 && median;
      const double predicted =
          at_p50 ? median_metric(run, n.stage, n.metric) : predicted_metric(estimate, n.stage, n.metric);
      by_number[i] = ValidationRow{n, predicted, at_p50};
    }
  }
  std::vector<ValidationRow> rows;  // in the file's order
  for (auto& row : by_number) {
    if (row) rows.push_back(std::move(*row));
  }
  return rows;
}

std::vector<ValidationRow> validate(const std::vector<PublishedNumber>& numbers, const ValidateOptions& options) {
  return PublishedRuns(numbers).validate(options);
}

ErrorSummary summarize_if(const std::vector<ValidationRow>& rows,
                          const std::function<bool(const ValidationRow&)>& keep) {
  ErrorSummary s;
  for (const auto& r : rows) {
    if (!keep(r)) continue;
    const double e = std::fabs(r.error_fraction());
    s.mean_abs += e;
    s.max_abs = std::max(s.max_abs, e);
    ++s.count;
  }
  if (s.count) s.mean_abs /= s.count;
  return s;
}

ErrorSummary summarize(const std::vector<ValidationRow>& rows, const std::string& group) {
  return summarize_if(rows, [&](const ValidationRow& r) { return group.empty() || r.reference.group == group; });
}

std::vector<std::string> groups_of(const std::vector<PublishedNumber>& numbers) {
  std::vector<std::string> out;
  for (const PublishedNumber& n : numbers) {
    if (std::find(out.begin(), out.end(), n.group) == out.end()) out.push_back(n.group);
  }
  return out;
}

}  // namespace sprout::planner
