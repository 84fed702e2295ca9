// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/run_loss_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "sprout/planner/loss/loss_fit.h"

namespace sprout::planner {
namespace {

const SourceLocation kRunsArgument{"fit-loss", 0, 0};

bool from_scratch(const RunLossHistory& run) { return run.plan.stages.size() == 1; }

double final_params(const RunLossHistory& run) {
  return parameter_count(run.plan.stages[run.stage_tokens.size() - 1].shape);
}

// The held-out run, or none.
const RunLossHistory* choose_held_out(const std::vector<RunLossHistory>& runs, const LossFitOptions& options) {
  if (options.held_out_run) {
    if (*options.held_out_run == "none") return nullptr;
    for (const auto& r : runs) {
      if (r.name == *options.held_out_run || r.run_dir == *options.held_out_run) return &r;
    }
    throw InputError({"--holdout", 0, 0}, "holdout",
                     "'" + *options.held_out_run + "' is not one of the run directories given");
  }
  // Default: the largest from-scratch run, as long as two other sizes remain.
  std::set<double> sizes;
  const RunLossHistory* largest = nullptr;
  for (const auto& r : runs) {
    if (!from_scratch(r)) continue;
    sizes.insert(final_params(r));
    if (!largest || final_params(r) > final_params(*largest)) largest = &r;
  }
  return sizes.size() >= 3 ? largest : nullptr;
}

bool past_warmup(const RunLossHistory& run, const RunLossRecord& r, double skip_fraction) {
  return r.stage_tokens >= skip_fraction * run.plan.stages[r.stage].tokens;
}

struct Observations {
  std::vector<LossPoint> scratch;       // first stages: the from-scratch law
  std::vector<GrowthLossPoint> growth;  // after a growth: the growth efficiency
  std::vector<std::string> growth_runs;
};

Observations observe(const std::vector<const RunLossHistory*>& runs, double skip_fraction) {
  Observations obs;
  for (const RunLossHistory* run : runs) {
    const std::vector<StageSize> reached = run->stages_reached();
    std::vector<LossPoint> own;
    bool grew = false;
    for (const RunLossRecord& r : run->fit_records()) {
      if (!past_warmup(*run, r, skip_fraction)) continue;
      if (r.stage == 0) {
        own.push_back({reached[0].params, r.stage_tokens, r.loss, 1});
        continue;
      }
      GrowthLossPoint g;
      g.stages.assign(reached.begin(), reached.begin() + r.stage + 1);
      g.stages.back().tokens = r.stage_tokens;
      g.loss = r.loss;
      obs.growth.push_back(g);
      grew = true;
    }
    // Every run weighs the same in the fit, however often it logged.
    for (LossPoint& p : own) p.weight = 1.0 / own.size();
    obs.scratch.insert(obs.scratch.end(), own.begin(), own.end());
    if (grew) obs.growth_runs.push_back(run->name);
  }
  return obs;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

LossFitSummary::HeldOut evaluate_held_out(const LossModel& model, const RunLossHistory& run, double skip_fraction) {
  const std::vector<StageSize> reached = run.stages_reached();
  const RunLossHistory::FinalLoss actual = run.final_loss();
  LossFitSummary::HeldOut h;
  h.run = run.name;
  h.params = final_params(run);
  for (const StageSize& s : reached) h.tokens += s.tokens;
  h.predicted_loss = predict_loss_at(model, reached, reached.size() - 1, actual.stage_tokens);
  h.actual_loss = actual.loss;
  h.relative_error = h.predicted_loss / h.actual_loss - 1;
  double sse = 0;
  long long n = 0;
  for (const RunLossRecord& r : run.fit_records()) {
    if (!past_warmup(run, r, skip_fraction)) continue;
    const double d = predict_loss_at(model, reached, r.stage, r.stage_tokens) - r.loss;
    sse += d * d;
    ++n;
  }
  h.curve_rmse = n ? std::sqrt(sse / n) : 0;
  return h;
}

// FLM-101B's muScaling law over the from-scratch proxies' final losses.
std::optional<LossFitSummary::MuScaling> fit_muscaling(const std::vector<const RunLossHistory*>& training,
                                                       const RunLossHistory* held_out) {
  std::vector<double> sizes, losses;
  double tokens = 0;
  for (const RunLossHistory* r : training) {
    if (!from_scratch(*r)) continue;
    sizes.push_back(final_params(*r));
    losses.push_back(r->final_loss().loss);
    tokens += r->stage_tokens.back();
  }
  if (std::set<double>(sizes.begin(), sizes.end()).size() < 3) return std::nullopt;
  const PowerLawFit law = fit_power_law(sizes, losses);
  LossFitSummary::MuScaling mu{law.a, law.b, law.c, tokens / sizes.size(), std::nullopt, std::nullopt};
  if (held_out && from_scratch(*held_out)) {
    mu.held_out_predicted_loss = law(final_params(*held_out));
    mu.held_out_relative_error = *mu.held_out_predicted_loss / held_out->final_loss().loss - 1;
  }
  return mu;
}

}  // namespace

LossModel fit_loss_model(const std::vector<RunLossHistory>& runs, const LossFitOptions& options) {
  if (runs.empty()) throw InputError(kRunsArgument, "runs", "no run directories given");
  const RunLossHistory* held_out = choose_held_out(runs, options);
  std::vector<const RunLossHistory*> training;
  std::vector<std::string> names;
  for (const auto& r : runs) {
    if (&r == held_out) continue;
    training.push_back(&r);
    names.push_back(r.name);
  }
  const Observations obs = observe(training, options.skip_fraction);

  ScalingLawFit law;
  try {
    law = fit_scaling_law(obs.scratch);
  } catch (const std::invalid_argument& e) {
    throw InputError(kRunsArgument, "runs",
                     fmt::format("{} (the first stages of {} give {} points; train proxies at 2 or "
                                 "more widths from scratch)",
                                 e.what(), join(names), obs.scratch.size()));
  }
  if (law.a <= 0) {
    throw InputError(kRunsArgument, "runs", "loss does not fall with model size across " + join(names));
  }
  if (law.b <= 0) {
    throw InputError(kRunsArgument, "runs", "loss does not fall with tokens in " + join(names));
  }

  LossModel model = chinchilla_2022();  // for the growth default and its source
  model.name = options.name.empty() ? fmt::format("fit from {} runs", training.size()) : options.name;
  model.source = fmt::format("sprout fit-loss on {} ({} points, rmse {:.4f})", join(names), law.points, law.rmse);
  model.e = law.e;
  model.a = law.a;
  model.b = law.b;
  model.alpha = law.alpha;
  model.beta = law.beta;

  LossFitSummary summary;
  summary.runs = names;
  summary.points = law.points;
  summary.rmse = law.rmse;
  if (!obs.growth.empty()) {
    const GrowthEfficiencyFit growth = fit_growth_token_efficiency(model, obs.growth);
    model.growth_token_efficiency = growth.token_efficiency;
    model.growth_source = fmt::format(
        "calibrated by sprout fit-loss on the post-growth losses of {} ({} points, "
        "rmse {:.4f}); loss carried over at each growth (MSG function preservation)",
        join(obs.growth_runs), growth.points, growth.rmse);
    summary.growth_points = growth.points;
    summary.growth_rmse = growth.rmse;
  }
  if (held_out) summary.held_out = evaluate_held_out(model, *held_out, options.skip_fraction);
  summary.muscaling = fit_muscaling(training, held_out);
  model.fit = summary;
  if (auto problem = loss_model_problem(model)) {
    throw InputError(kRunsArgument, "runs", "the fit is degenerate: " + problem->field + " " + problem->reason);
  }
  return model;
}

}  // namespace sprout::planner
