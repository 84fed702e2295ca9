// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/schedule_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "search/schedule_graph.h"
#include "search/schedule_plan.h"
#include "search/shape_costs.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/growth.h"

namespace sprout::planner {
namespace {

constexpr double kUnbounded = std::numeric_limits<double>::infinity();
const SourceLocation kRequest{"search request", 0, 0};

bool positive_finite(double v) { return std::isfinite(v) && v > 0; }

// "101.7B", "64.3M" parameters.
std::string params_text(double params) {
  if (params >= 1e9) return fmt::format("{:.1f}B", params / 1e9);
  if (params >= 1e6) return fmt::format("{:.1f}M", params / 1e6);
  return fmt::format("{:.0f}", params);
}

void validate(const SearchRequest& r) {
  auto require = [](bool ok, const char* field, const std::string& reason) {
    if (!ok) throw InputError(kRequest, field, reason);
  };
  require(positive_finite(r.budget_usd), "budget_usd",
          fmt::format("{} is not a positive number of dollars", r.budget_usd));
  require(r.cluster.gpus >= 1, "gpus", fmt::format("{} is not a positive GPU count", r.cluster.gpus));
  require(std::isfinite(r.cluster.price_usd_per_gpu_hour) && r.cluster.price_usd_per_gpu_hour >= 0,
          "price_usd_per_gpu_hour", "must be a non-negative number");
  require(!r.deadline_seconds || positive_finite(*r.deadline_seconds), "deadline", "must be a positive number of days");
  require(!r.max_co2e_kg || positive_finite(*r.max_co2e_kg), "max_co2e", "must be a positive number of tonnes");
  require(r.target.layers >= 1 && r.target.hidden >= 1 && r.target.heads >= 1 && r.target.hidden % r.target.heads == 0,
          "target", "not a valid model shape");
  require(r.max_stages >= 1 && r.max_stages <= 8, "max_stages", "must be 1..8");
  require(r.grid_points_per_doubling >= 1 && r.grid_points_per_doubling <= 64, "grid_points_per_doubling",
          "must be 1..64");
  require(r.stage.grow_steps >= 1, "grow_steps", "must be at least 1");
  require(r.max_schedules >= 2, "max_schedules", "must be at least 2");
  if (auto problem = loss_model_problem(r.loss_model)) {
    throw InputError(kRequest, "loss_model." + problem->field, problem->reason);
  }
  for (const ModelShape& s : r.shapes) {
    GrowthCheck g = infer_growth(s, r.target);
    if (g.problem) {
      throw InputError(kRequest, "shapes",
                       shape_label(s) + " cannot grow into the target: " + g.problem_field + " " + *g.problem);
    }
  }
}

Plan base_plan(const SearchRequest& r) {
  Plan p;
  p.name = r.name;
  p.cluster = r.cluster;
  return p;
}

std::vector<ModelShape> ladder_of(const SearchRequest& r) {
  if (r.shapes.empty()) return growth_ladder(r.target, r.ladder);
  std::vector<ModelShape> out;
  for (const ModelShape& s : r.shapes) {
    const bool is_target = s.layers == r.target.layers && s.hidden == r.target.hidden;
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const ModelShape& o) { return o.layers == s.layers && o.hidden == s.hidden; });
    if (!is_target && !seen) out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const ModelShape& a, const ModelShape& b) { return parameter_count(a) < parameter_count(b); });
  out.push_back(r.target);
  return out;
}

// One MSG step changes width or depth, not both (the operators are separate;
// FLM-101B grew width, then depth).
bool one_growth_step(const ModelShape& from, const ModelShape& to) {
  const GrowthCheck g = infer_growth(from, to);
  return !g.problem && g.kind.any() && g.kind.width != g.kind.depth;
}

std::string join_shapes(const Plan& plan) {
  std::string out;
  for (const Stage& st : plan.stages) out += (out.empty() ? "" : " -> ") + shape_label(st.shape);
  return out;
}

// Limits a schedule may not exceed, as (name, limit, what one unit costs).
struct Limit {
  const char* constraint;
  double limit;
  double Costs::*field;
};

std::vector<Limit> limits_of(const SearchRequest& r) {
  return {{"budget_usd", r.budget_usd, &Costs::cost_usd},
          {"deadline", r.deadline_seconds.value_or(kUnbounded), &Costs::seconds},
          {"max_co2e", r.max_co2e_kg.value_or(kUnbounded), &Costs::co2e_kg}};
}

std::string describe_amount(double Costs::*field, double v) {
  if (field == &Costs::cost_usd) return v >= 100 ? fmt::format("${:.0f}", v) : fmt::format("${:.2f}", v);
  if (field == &Costs::seconds) {
    if (v >= kSecondsPerDay) return fmt::format("{:.2f} days", v / kSecondsPerDay);
    if (v >= kSecondsPerHour) return fmt::format("{:.1f} hours", v / kSecondsPerHour);
    return fmt::format("{:.0f} s", v);
  }
  return v >= 1000 ? fmt::format("{:.2f} tCO2e", v / 1000) : fmt::format("{:.1f} kgCO2e", v);
}

// The cheapest schedule trains the target for one MSG ramp; if even that
// breaks a limit, say which limit is furthest off.
std::optional<Infeasibility> minimum_schedule_problem(const SearchRequest& r, const ShapeCost& target,
                                                      long long min_iterations) {
  std::optional<Infeasibility> worst;
  double worst_ratio = 1;
  for (const Limit& l : limits_of(r)) {
    const double per_iteration = target.per_iteration.*l.field;
    const double need = per_iteration * min_iterations;
    if (need <= l.limit || need / l.limit <= worst_ratio) continue;
    worst_ratio = need / l.limit;
    const double affordable = std::floor(l.limit / per_iteration);
    worst = Infeasibility{l.constraint,
                          fmt::format("{} covers {:.0f} iterations of the target {} ({} parameters) on {} {} GPUs "
                                      "({} each), but the shortest schedule trains {} (one MSG growth ramp, "
                                      "grow_steps) and needs {}: {:.1f}x the limit",
                                      describe_amount(l.field, l.limit), affordable, shape_label(target.shape),
                                      params_text(target.params), r.cluster.gpus, r.cluster.hardware.name,
                                      describe_amount(l.field, per_iteration), min_iterations,
                                      describe_amount(l.field, need), worst_ratio)};
  }
  return worst;
}

// Whole iterations of `shape` that still fit every limit after `used`.
long long iterations_left(const SearchRequest& r, const Costs& used, const ShapeCost& shape) {
  double n = kUnbounded;
  for (const Limit& l : limits_of(r)) {
    const double per_iteration = shape.per_iteration.*l.field;
    if (per_iteration > 0) n = std::min(n, std::floor((l.limit - used.*l.field) / per_iteration));
  }
  return std::isfinite(n) ? std::max(0LL, static_cast<long long>(n)) : 0;
}

// A schedule with the stages it was built from (to shorten it).
struct PooledSchedule {
  std::vector<PlannedStage> stages;
  ScheduleCandidate candidate;
};

class CandidateBuilder {
 public:
  CandidateBuilder(const SearchRequest& r, const Plan& base) : r_(r), base_(base) {}

  ScheduleCandidate build(const std::vector<PlannedStage>& stages, const char* kind = "") const {
    Plan plan = make_schedule_plan(base_, stages, r_.stage.grow_steps, "", "");
    plan.name = fmt::format("{}{} {}", r_.name, kind, join_shapes(plan));
    ScheduleCandidate c = evaluate_schedule(plan, r_.loss_model);
    c.plan.notes = fmt::format(
        "Found by sprout search: target {} ({} parameters), {} x {} GPUs, budget {}{}{}.\n"
        "Predicted final loss {:.4f} ({}).\n"
        "Stage layouts, recompute and batch are the planner's choice for each shape.",
        shape_label(r_.target), params_text(parameter_count(r_.target)), r_.cluster.gpus, r_.cluster.hardware.name,
        describe_amount(&Costs::cost_usd, r_.budget_usd),
        r_.deadline_seconds ? fmt::format(", deadline {:.2f} days", *r_.deadline_seconds / kSecondsPerDay) : "",
        r_.max_co2e_kg ? fmt::format(", carbon cap {:.2f} tCO2e", *r_.max_co2e_kg / 1000) : "", c.predicted_loss,
        r_.loss_model.name);
    return c;
  }

  // The same schedule with its last stage extended to whatever the limits
  // still allow: what the whole budget buys with this shape sequence.
  std::optional<PooledSchedule> filled(std::vector<PlannedStage> stages, const ScheduleCandidate& c) const {
    const long long extra = iterations_left(r_, c.estimate.total, *stages.back().shape);
    if (extra <= 0) return std::nullopt;
    stages.back().iterations += extra;
    ScheduleCandidate out = build(stages);
    if (!within_limits(out.estimate.total)) return std::nullopt;  // rounding, never expected
    return PooledSchedule{std::move(stages), std::move(out)};
  }

  bool within_limits(const Costs& c) const {
    for (const Limit& l : limits_of(r_)) {
      if (c.*l.field > l.limit) return false;
    }
    return true;
  }

 private:
  const SearchRequest& r_;
  const Plan& base_;
};

// How close costs come to the limits: the largest cost / limit.
double fill_of(const SearchRequest& r, const Costs& c) {
  double fill = 0;
  for (const Limit& l : limits_of(r)) {
    if (std::isfinite(l.limit)) fill = std::max(fill, c.*l.field / l.limit);
  }
  return fill;
}

// Keeps the schedules whose simulated costs at the request's percentile stay
// within the limits (SearchRequest::RiskScreen). Schedules are visited from
// the one closest to a limit; a schedule whose failure-free costs stay below
// every limit by more than 1.5 x the largest overhead simulated so far is kept
// without a simulation (the overhead of failures grows with the run's length,
// and these runs are shorter than ones already simulated).
class RiskScreener {
 public:
  RiskScreener(const SearchRequest& r, const CandidateBuilder& builder, RiskScreenStats& stats)
      : r_(r), builder_(builder), stats_(stats) {
    stats_.percentile = r.risk->percentile;
  }

  std::vector<PooledSchedule> screen(std::vector<PooledSchedule> schedules) {
    std::sort(schedules.begin(), schedules.end(), [&](const PooledSchedule& a, const PooledSchedule& b) {
      return fill_of(r_, a.candidate.estimate.total) > fill_of(r_, b.candidate.estimate.total);
    });
    std::vector<PooledSchedule> kept;
    for (PooledSchedule& s : schedules) {
      if (auto held = hold(std::move(s))) kept.push_back(std::move(*held));
    }
    return kept;
  }

  // The schedule as it is if it holds at the percentile, else shortened
  // until it does; nothing when even the shortest version breaks a limit.
  std::optional<PooledSchedule> hold(PooledSchedule s) {
    const double fill = fill_of(r_, s.candidate.estimate.total);
    if (simulated_any_ && fill * (1 + 1.5 * overhead_) <= 1) return s;
    for (int attempt = 0; attempt < 4; ++attempt) {
      const Costs at = simulate(s.candidate);
      if (builder_.within_limits(at)) {
        if (attempt > 0) ++stats_.shortened;
        return s;
      }
      if (!shorten(s, at)) break;
    }
    ++stats_.dropped;
    return std::nullopt;
  }

 private:
  Costs simulate(const ScheduleCandidate& c) {
    const Costs at = r_.risk->costs_at(c.plan);
    ++stats_.simulated;
    simulated_any_ = true;
    const Costs& plain = c.estimate.total;
    for (const Limit& l : limits_of(r_)) {
      if (plain.*l.field > 0) overhead_ = std::max(overhead_, at.*l.field / plain.*l.field - 1);
    }
    return at;
  }

  // Takes enough iterations off the last stage for the percentile costs to
  // fit, scaling each limit's excess by that run's own overhead ratio.
  bool shorten(PooledSchedule& s, const Costs& at) {
    const Costs& plain = s.candidate.estimate.total;
    PlannedStage& last = s.stages.back();
    double remove = 0;
    for (const Limit& l : limits_of(r_)) {
      const double excess = at.*l.field - l.limit;
      const double per_iteration = last.shape->per_iteration.*l.field * at.*l.field / plain.*l.field;
      if (excess > 0 && per_iteration > 0) remove = std::max(remove, excess / per_iteration);
    }
    const long long iterations = last.iterations - static_cast<long long>(std::ceil(remove * 1.01)) - 1;
    if (iterations < r_.stage.grow_steps) return false;
    last.iterations = iterations;
    s.candidate = builder_.build(s.stages);
    return true;
  }

  const SearchRequest& r_;
  const CandidateBuilder& builder_;
  RiskScreenStats& stats_;
  double overhead_ = 0;  // largest (percentile / failure-free) - 1 simulated so far
  bool simulated_any_ = false;
};

std::vector<double> token_grid(double first, double last, int points_per_doubling) {
  std::vector<double> grid = {0};
  const double ratio = std::pow(2.0, 1.0 / points_per_doubling);
  for (double t = first; grid.back() < last; t *= ratio) grid.push_back(t);
  return grid;
}

// The graph for the usable shapes (target last): every stage trains at least
// one ramp's worth of tokens at the largest batch, so no written stage rounds
// below `min_iterations`; the grid reaches what the cheapest shape buys with
// everything.
ScheduleGraphProblem graph_problem(const SearchRequest& r, const std::vector<const ShapeCost*>& usable,
                                   long long min_iterations) {
  ScheduleGraphProblem graph;
  graph.shapes = usable;
  graph.loss = r.loss_model;
  graph.budget_usd = r.budget_usd;
  graph.deadline_s = r.deadline_seconds.value_or(kUnbounded);
  graph.max_co2e_kg = r.max_co2e_kg.value_or(kUnbounded);
  graph.max_stages = r.max_stages;
  graph.max_schedules = static_cast<size_t>(r.max_schedules);
  double max_batch_tokens = 0, most_tokens = 0;
  for (const ShapeCost* c : usable) {
    max_batch_tokens = std::max(max_batch_tokens, c->batch_tokens);
    most_tokens = std::max(most_tokens, static_cast<double>(iterations_left(r, Costs{}, *c)) * c->batch_tokens);
  }
  graph.min_stage_tokens = static_cast<double>(min_iterations) * max_batch_tokens;
  graph.grid = token_grid(graph.min_stage_tokens, most_tokens, r.grid_points_per_doubling);
  graph.grows_to.resize(usable.size());
  graph.transition.assign(usable.size(), std::vector<Costs>(usable.size()));
  for (size_t i = 0; i < usable.size(); ++i) {
    for (size_t j = i + 1; j < usable.size(); ++j) {
      if (!one_growth_step(usable[i]->shape, usable[j]->shape)) continue;
      graph.grows_to[i].push_back(j);
      const double s =
          growth_transition_seconds(usable[i]->shape, usable[j]->shape, r.cluster.gpus, r.cluster.hardware);
      graph.transition[i][j] = costs_for(s, r.cluster);
    }
  }
  return graph;
}

// The Pareto front of the schedules (cost, days, CO2e, loss).
std::vector<PooledSchedule> front_of(std::vector<PooledSchedule> pool) {
  std::vector<ScheduleObjectives> objectives;
  for (const PooledSchedule& p : pool) objectives.push_back(p.candidate.objectives());
  std::vector<PooledSchedule> front;
  for (size_t i : pareto_front(objectives)) front.push_back(std::move(pool[i]));
  return front;
}

// A graph schedule's stages in whole iterations (rounded down: never over a limit).
std::vector<PlannedStage> planned_stages(const GraphSchedule& schedule, const std::vector<const ShapeCost*>& usable) {
  std::vector<PlannedStage> stages;
  for (const auto& st : schedule.stages) {
    const ShapeCost* shape = usable[st.shape];
    stages.push_back({shape, static_cast<long long>(std::floor(st.tokens / shape->batch_tokens))});
  }
  return stages;
}

}  // namespace

SearchRequest make_search_request(double target_params, const Cluster& cluster, double budget_usd) {
  SearchRequest r;
  r.target = target_shape_for_params(target_params, r.stage);
  r.cluster = cluster;
  r.budget_usd = budget_usd;
  return r;
}

ScheduleObjectives ScheduleCandidate::objectives() const {
  return {estimate.total.cost_usd, estimate.total.seconds, estimate.total.co2e_kg, predicted_loss};
}

std::vector<ScheduleObjectives> objectives_of(const std::vector<ScheduleCandidate>& candidates) {
  std::vector<ScheduleObjectives> out;
  for (const auto& c : candidates) out.push_back(c.objectives());
  return out;
}

ScheduleCandidate evaluate_schedule(const Plan& plan, const LossModel& model) {
  ScheduleCandidate c;
  c.plan = plan;
  c.estimate = estimate_plan(plan);
  c.losses = predict_plan_losses(model, plan);
  c.predicted_loss = c.losses.back().loss_end;
  c.tokens = c.estimate.total_tokens;
  c.shapes = join_shapes(plan);
  return c;
}

SearchResult search_schedules(const SearchRequest& r, const SearchProgressCallback& progress) {
  const auto started = std::chrono::steady_clock::now();
  validate(r);
  SearchResult result;
  auto report = [&](const char* phase, double fraction) {
    if (progress && !progress({phase, fraction})) result.cancelled = true;
    return !result.cancelled;
  };
  auto finish = [&]() -> SearchResult {
    result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(result);
  };
  const Plan base = base_plan(r);

  // 1. What a token costs at every shape of the ladder (one layout search each).
  const std::vector<ModelShape> ladder = ladder_of(r);
  std::vector<ShapeCost> costs;
  for (size_t i = 0; i < ladder.size(); ++i) {
    if (!report("costing shapes", static_cast<double>(i) / ladder.size())) return finish();
    costs.push_back(cost_shape(base, r.stage, ladder[i]));
  }
  const ShapeCost& target = costs.back();
  if (target.problem) {
    result.infeasible = Infeasibility{
        "gpus", fmt::format("the target {} ({} parameters) does not fit on {} {} GPUs: {}", shape_label(target.shape),
                            params_text(target.params), r.cluster.gpus, r.cluster.hardware.name, *target.problem)};
    return finish();
  }
  std::vector<const ShapeCost*> usable;
  for (const ShapeCost& c : costs) {
    if (!c.problem) usable.push_back(&c);
  }
  result.stats.shapes = static_cast<int>(usable.size());

  // 2. The shortest schedule (one MSG ramp on the target) must fit the limits.
  const long long min_iterations = r.stage.grow_steps;
  if (auto problem = minimum_schedule_problem(r, target, min_iterations)) {
    result.infeasible = problem;
    return finish();
  }

  // 3. The graph and its multi-objective search.
  const ScheduleGraphProblem graph = graph_problem(r, usable, min_iterations);
  const ScheduleGraphResult found =
      search_schedule_graph(graph, [&](double fraction) { return report("searching", fraction); });
  result.stats.grid_points = static_cast<int>(graph.grid.size());
  result.stats.vertices = found.vertices;
  result.stats.edges = found.edges;
  result.stats.labels = found.labels;
  result.stats.schedules = static_cast<long long>(found.schedules.size());
  if (found.cancelled) return finish();

  // 4. Every schedule as a plan, costed by the planner, plus its variant that
  // spends what the limits leave; then the exact Pareto front.
  const CandidateBuilder builder(r, base);
  std::vector<PooledSchedule> pool;
  for (size_t i = 0; i < found.schedules.size(); ++i) {
    if (i % 64 == 0 && !report("evaluating schedules", static_cast<double>(i) / found.schedules.size())) {
      return finish();
    }
    const std::vector<PlannedStage> stages = planned_stages(found.schedules[i], usable);
    ScheduleCandidate c = builder.build(stages);
    if (!builder.within_limits(c.estimate.total)) continue;
    if (auto more = builder.filled(stages, c)) pool.push_back(std::move(*more));
    pool.push_back({stages, std::move(c)});
  }
  pool = front_of(std::move(pool));
  if (r.risk) {
    if (!report("simulating failures", 0)) return finish();
    result.stats.risk.emplace();
    RiskScreener screener(r, builder, *result.stats.risk);
    pool = front_of(screener.screen(std::move(pool)));
  }
  for (PooledSchedule& p : pool) result.ranked.push_back(std::move(p.candidate));
  std::stable_sort(result.ranked.begin(), result.ranked.end(),
                   [](const ScheduleCandidate& a, const ScheduleCandidate& b) {
                     if (a.predicted_loss != b.predicted_loss) return a.predicted_loss < b.predicted_loss;
                     return a.estimate.total.cost_usd < b.estimate.total.cost_usd;
                   });

  // 5. The from-scratch baseline: the target alone, as long as the limits allow.
  const std::vector<PlannedStage> alone = {{&target, iterations_left(r, Costs{}, target)}};
  result.scratch = builder.build(alone, " from scratch");
  if (r.risk) {
    RiskScreener screener(r, builder, *result.stats.risk);
    std::optional<PooledSchedule> held = screener.hold({alone, std::move(*result.scratch)});
    result.scratch.reset();
    if (held) result.scratch = std::move(held->candidate);
  }
  return finish();
}

}  // namespace sprout::planner
