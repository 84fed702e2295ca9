// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/published_runs.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {

std::vector<PublishedNumber> load_published_numbers(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  YAML::Node list = top.child("numbers");
  top.finish();
  if (!list.IsSequence()) throw InputError(location_of(list, path), "numbers", "expected a list");
  std::vector<PublishedNumber> out;
  for (size_t i = 0; i < list.size(); ++i) {
    YamlFields f(list[i], path, "numbers[" + std::to_string(i) + "]");
    PublishedNumber n;
    n.group = f.text("group");
    std::filesystem::path plan(f.text("plan"));
    if (plan.is_relative()) plan = std::filesystem::path(path).parent_path() / plan;
    n.plan_file = plan.lexically_normal().string();
    n.stage = f.text("stage");
    n.metric = f.choice("metric", {"iteration_seconds", "tflops_per_gpu", "days", "gpu_hours", "cost_usd", "energy_mwh",
                                   "co2e_t", "zflops"});
    n.published = f.number("published", 1e-12, 1e30);
    n.source = f.text("source");
    f.finish();
    out.push_back(n);
  }
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
  throw InputError({}, "metric", "unknown metric '" + metric + "'");
}

std::vector<ValidationRow> validate(const std::vector<PublishedNumber>& numbers) {
  std::map<std::string, PlanEstimate> estimates;  // each plan estimated once
  std::vector<ValidationRow> rows;
  for (const auto& n : numbers) {
    auto it = estimates.find(n.plan_file);
    if (it == estimates.end()) it = estimates.emplace(n.plan_file, estimate_plan(load_plan(n.plan_file))).first;
    rows.push_back({n, predicted_metric(it->second, n.stage, n.metric)});
  }
  return rows;
}

ErrorSummary summarize(const std::vector<ValidationRow>& rows, const std::string& group) {
  ErrorSummary s;
  for (const auto& r : rows) {
    if (!group.empty() && r.reference.group != group) continue;
    const double e = std::fabs(r.error_fraction());
    s.mean_abs += e;
    s.max_abs = std::max(s.max_abs, e);
    ++s.count;
  }
  if (s.count) s.mean_abs /= s.count;
  return s;
}

}  // namespace sprout::planner
