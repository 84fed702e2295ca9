// SPDX-License-Identifier: GPL-3.0-or-later
#include "search_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "loss_model_json.h"
#include "output.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/costs_json.h"
#include "sprout/planner/cost/estimate_json.h"
#include "sprout/simulator/run/simulation_json.h"

namespace sprout::cli {
using namespace sprout::planner;

namespace {

size_t shown(const SearchReport& r) { return std::min(r.top, r.result.ranked.size()); }

std::string stage_tokens(const ScheduleCandidate& c) {
  std::string out;
  for (const Stage& st : c.plan.stages) out += (out.empty() ? "" : " + ") + human_count(st.tokens);
  return out;
}

// The P90 cost, flagged when the simulated run would overrun the budget.
std::string p90_cost(const simulator::MetricBands* risk, double budget_usd) {
  if (!risk) return "";
  return human_usd(risk->cost_usd.p90) + (risk->cost_usd.p90 > budget_usd ? " !" : "");
}

std::vector<std::string> table_row(const std::string& rank, const ScheduleCandidate& c,
                                   const simulator::MetricBands* risk, double budget_usd) {
  const Costs& t = c.estimate.total;
  std::vector<std::string> row = {rank,
                                  c.shapes,
                                  stage_tokens(c),
                                  human_count(c.tokens),
                                  human_duration(t.seconds),
                                  human_usd(t.cost_usd),
                                  human_energy_kwh(t.energy_kwh),
                                  human_mass_kg(t.co2e_kg),
                                  fmt::format("{:.4f}", c.predicted_loss)};
  if (risk) {
    row.push_back(human_duration(risk->days.p90 * kSecondsPerDay));
    row.push_back(p90_cost(risk, budget_usd));
  }
  return row;
}

std::vector<std::string> csv_row(const std::string& rank, const ScheduleCandidate& c, const std::string& plan_file) {
  const Costs& t = c.estimate.total;
  return {rank,
          c.shapes,
          stage_tokens(c),
          fmt::format("{}", c.tokens),
          fmt::format("{}", t.seconds / kSecondsPerDay),
          fmt::format("{}", t.gpu_hours),
          fmt::format("{}", t.cost_usd),
          fmt::format("{}", t.energy_kwh),
          fmt::format("{}", t.co2e_kg),
          fmt::format("{}", c.predicted_loss),
          plan_file};
}

nlohmann::json candidate_json(const ScheduleCandidate& c, const std::string& plan_file) {
  const Costs& t = c.estimate.total;
  nlohmann::json stages = nlohmann::json::array();
  for (size_t i = 0; i < c.plan.stages.size(); ++i) {
    const StageEstimate& se = c.estimate.stages[i];
    nlohmann::json stage = {
        {"name", se.name},
        {"params", se.params},
        {"tokens", se.tokens},
        {"growth", describe(se.growth)},
        {"layout", to_json(se.layout)},
        {"loss_start",
         std::isfinite(c.losses[i].loss_start) ? nlohmann::json(c.losses[i].loss_start) : nlohmann::json()},
        {"loss_end", c.losses[i].loss_end}};
    stage.update(to_json(se.costs));
    stages.push_back(stage);
  }
  nlohmann::json j = {{"name", c.plan.name},
                      {"shapes", c.shapes},
                      {"stages", stages},
                      {"tokens", c.tokens},
                      {"params", c.estimate.stages.back().params},
                      {"predicted_loss", c.predicted_loss}};
  j.update(to_json(t));
  if (!plan_file.empty()) j["plan_file"] = plan_file;
  return j;
}

std::string file_at(const std::vector<std::string>& files, size_t i) { return i < files.size() ? files[i] : ""; }

}  // namespace

namespace {

// Which run the limits hold for (--confidence; the default is P50).
std::string confidence_text(const SearchReport& r) {
  const auto& risk = r.result.stats.risk;
  if (!risk) return "held by the failure-free costs (--confidence none)";
  return fmt::format(
      "held at P{:.0f} of the simulated run, failures and restarts included (--confidence {:g}; {} simulated, {} "
      "shortened to fit, {} dropped)",
      100 * risk->percentile, risk->percentile, risk->simulated, risk->shortened, risk->dropped);
}

}  // namespace

std::string search_table(const SearchReport& r) {
  const SearchRequest& q = r.request;
  std::string out = fmt::format(
      "target {} ({} parameters) on {} x {}, region {}, ${:.2f}/GPU-hour, power model {}\n"
      "limits: budget {}{}{}; {}\n"
      "loss model: {}: {}\n  ({})\n\n",
      shape_label(q.target), human_count(parameter_count(q.target)), q.cluster.gpus, q.cluster.hardware.name,
      q.cluster.region.name, q.cluster.price_usd_per_gpu_hour, to_string(q.cluster.power_model),
      human_usd(q.budget_usd), q.deadline_seconds ? ", deadline " + human_duration(*q.deadline_seconds) : "",
      q.max_co2e_kg ? ", carbon cap " + human_mass_kg(*q.max_co2e_kg) + " CO2e" : "", confidence_text(r),
      q.loss_model.name, describe_law(q.loss_model), q.loss_model.source);
  std::vector<std::string> header = {"rank", "schedule", "stage tokens", "tokens", "time",
                                     "USD",  "energy",   "CO2e",         "loss"};
  if (!r.risk.empty()) {
    header.push_back("time P90");
    header.push_back("USD P90");
  }
  TextTable table(header);
  for (size_t i = 0; i < shown(r); ++i) {
    table.add_row(
        table_row(std::to_string(i + 1), r.result.ranked[i], i < r.risk.size() ? &r.risk[i] : nullptr, q.budget_usd));
  }
  const auto& scratch = r.result.scratch;
  if (scratch) {
    table.add_separator();
    table.add_row(table_row("scratch", *scratch, r.scratch_risk ? &*r.scratch_risk : nullptr, q.budget_usd));
  }
  out += table.render();
  if (!r.risk.empty()) {
    out +=
        "time/USD P90: simulated with failures, checkpoints and evaluations (sprout simulate); "
        "! = over the budget in 1 run of 10\n";
  }
  out +=
      fmt::format("\nPareto front over USD, days, CO2e and predicted loss: {} schedules, best loss first ({} shown)\n",
                  r.result.ranked.size(), shown(r));
  if (scratch && !r.result.ranked.empty()) {
    const ScheduleCandidate& best = r.result.ranked.front();
    out += fmt::format(
        "best growth schedule vs the target from scratch within the same limits: {} vs {} tokens "
        "({:.2f}x), predicted loss {:.4f} vs {:.4f}, {} vs {}\n",
        human_count(best.tokens), human_count(scratch->tokens), best.tokens / scratch->tokens, best.predicted_loss,
        scratch->predicted_loss, human_usd(best.estimate.total.cost_usd), human_usd(scratch->estimate.total.cost_usd));
  }
  if (r.comparison) {
    const auto& c = *r.comparison;
    const auto& p = c.placement;
    out += fmt::format(
        "{} ({}): {} tokens, {}, predicted loss {:.4f}: {}; rank {} of {} by loss; {:.4f} above the "
        "best front schedule costing no more; the front reaches its loss for {} less\n",
        c.candidate.plan.name, c.candidate.shapes, human_count(c.candidate.tokens),
        human_usd(c.candidate.estimate.total.cost_usd), c.candidate.predicted_loss,
        p.on_front ? "on the Pareto front" : fmt::format("dominated by {} front schedules", p.dominated_by), p.rank,
        r.result.ranked.size() + 1, p.loss_gap, percent(p.cost_saving_fraction));
    if (!c.note.empty()) out += "  note: " + c.note + "\n";
  }
  const SearchStats& s = r.result.stats;
  out +=
      fmt::format("searched {} shapes x {} token points ({} vertices, {} edges, {} partial schedules) in {:.2f} s\n",
                  s.shapes, s.grid_points, s.vertices, s.edges, human_count(static_cast<double>(s.labels)), s.seconds);
  if (!r.plan_files.empty()) {
    out += "plans written: " + r.plan_files.front() + (r.plan_files.size() > 1 ? " ... " + r.plan_files.back() : "");
    if (!r.scratch_plan_file.empty()) out += ", " + r.scratch_plan_file;
    out += "\n";
  }
  return out;
}

std::string search_csv(const SearchReport& r) {
  TextTable t({"rank", "schedule", "stage_tokens", "tokens", "days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg",
               "predicted_loss", "plan_file"});
  for (size_t i = 0; i < shown(r); ++i) {
    t.add_row(csv_row(std::to_string(i + 1), r.result.ranked[i], file_at(r.plan_files, i)));
  }
  if (r.result.scratch) t.add_row(csv_row("scratch", *r.result.scratch, r.scratch_plan_file));
  if (r.comparison) t.add_row(csv_row("compare", r.comparison->candidate, r.comparison->plan_file));
  return t.render_csv();
}

nlohmann::json search_json(const SearchReport& r) {
  const SearchRequest& q = r.request;
  nlohmann::json request = to_json(q.cluster);
  request["target"] = {{"layers", q.target.layers},
                       {"hidden", q.target.hidden},
                       {"heads", q.target.heads},
                       {"params", parameter_count(q.target)}};
  request["budget_usd"] = q.budget_usd;
  request["max_stages"] = q.max_stages;
  if (q.deadline_seconds) request["deadline_days"] = *q.deadline_seconds / kSecondsPerDay;
  if (q.max_co2e_kg) request["max_co2e_t"] = *q.max_co2e_kg / 1000;
  nlohmann::json candidates = nlohmann::json::array();
  for (size_t i = 0; i < shown(r); ++i) {
    nlohmann::json c = candidate_json(r.result.ranked[i], file_at(r.plan_files, i));
    c["rank"] = i + 1;
    if (i < r.risk.size()) c["risk"] = simulator::to_json(r.risk[i]);
    candidates.push_back(c);
  }
  const SearchStats& s = r.result.stats;
  nlohmann::json j = {{"request", request},
                      {"loss_model", loss_model_json(q.loss_model)},
                      {"front_size", r.result.ranked.size()},
                      {"candidates", candidates},
                      {"stats",
                       {{"shapes", s.shapes},
                        {"grid_points", s.grid_points},
                        {"vertices", s.vertices},
                        {"edges", s.edges},
                        {"labels", s.labels},
                        {"schedules", s.schedules},
                        {"seconds", s.seconds}}}};
  j["confidence"] = s.risk ? nlohmann::json{{"percentile", s.risk->percentile},
                                            {"simulated", s.risk->simulated},
                                            {"shortened", s.risk->shortened},
                                            {"dropped", s.risk->dropped}}
                           : nlohmann::json(nullptr);
  if (r.result.scratch) j["scratch"] = candidate_json(*r.result.scratch, r.scratch_plan_file);
  if (r.comparison) {
    const auto& p = r.comparison->placement;
    j["comparison"] = candidate_json(r.comparison->candidate, r.comparison->plan_file);
    j["comparison"]["placement"] = {{"on_front", p.on_front},
                                    {"dominated_by", p.dominated_by},
                                    {"rank", p.rank},
                                    {"loss_gap", p.loss_gap},
                                    {"cost_saving_fraction", p.cost_saving_fraction}};
    if (!r.comparison->note.empty()) j["comparison"]["note"] = r.comparison->note;
  }
  return j;
}

}  // namespace sprout::cli
