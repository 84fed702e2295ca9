// SPDX-License-Identifier: GPL-3.0-or-later
// "I have $100K (or 30 days, or 50 tCO2e), this hardware, this region: which
// growth schedule reaches the best model?" FLM-101B answered it by hand; this
// answers it by search (docs/search.md).
//
// The candidates form a graph (Boost.Graph): a node is (model shape, tokens
// trained so far), an edge trains k more tokens at the node's shape or grows
// its width or depth to a larger shape of the ladder (shape_ladder.h). Stage
// costs come from the planner (estimate_stage, with the layout search run once
// per shape); losses from the growth-aware loss model (growth_loss.h). The
// multi-objective resource-constrained shortest-path search of Boost.Graph
// (r_c_shortest_paths) returns every schedule no other one beats in cost,
// days, CO2e and predicted loss at once, within the budget, deadline and
// carbon cap. Every returned schedule is a planner::Plan, costed by
// estimate_plan, so `sprout plan` on its written file gives the same numbers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/loss/growth_loss.h"
#include "sprout/planner/loss/loss_model.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/search/pareto.h"
#include "sprout/planner/search/shape_ladder.h"
#include "sprout/planner/search/stage_template.h"

namespace sprout::planner {

struct SearchRequest {
  ModelShape target;  // target_shape_for_params(params, stage) for a parameter count
  Cluster cluster;

  double budget_usd = 0;
  std::optional<double> deadline_seconds;
  std::optional<double> max_co2e_kg;  // operational CO2e, as `sprout plan` totals it

  LossModel loss_model = chinchilla_2022();
  StageTemplate stage;
  LadderOptions ladder;
  std::vector<ModelShape> shapes;  // explicit ladder (the target is added); empty: growth_ladder
  int max_stages = 3;              // FLM-101B used 3
  // Token grid of the graph: the first point is one MSG ramp (stage.grow_steps
  // iterations); then this many points per doubling.
  int grid_points_per_doubling = 8;
  // Complete schedules costed as plans at most: when the graph's Pareto set
  // is larger (big budgets, many stages), it is thinned evenly by cost, the
  // best-loss schedule always kept.
  int max_schedules = 1000;
  std::string name = "searched";  // prefix of the plans' names
  // The limits must hold for the run the user will have, failures and
  // restarts included: with a screen, a schedule's costs at `percentile` of
  // the simulated run must stay within the budget, deadline and carbon cap.
  // Schedules are ranked by their failure-free costs first; those near a
  // limit are simulated, and one that breaks it is shortened (its last
  // stage) until it holds. The planner cannot depend on the simulator: the
  // caller passes the simulation in (sprout search --confidence, the GUI).
  struct RiskScreen {
    double percentile = 0.5;                     // 0.5 (P50) or 0.9 (P90)
    std::function<Costs(const Plan&)> costs_at;  // the plan's run at that percentile
  };
  std::optional<RiskScreen> risk;
};

// A request for the target closest to `target_params` (target_shape_for_params)
// on `cluster` (find_cluster resolves one from profile names); every other
// field at its default.
SearchRequest make_search_request(double target_params, const Cluster& cluster, double budget_usd);

// One schedule: a valid plan, what it costs, what it is predicted to reach.
struct ScheduleCandidate {
  Plan plan;
  PlanEstimate estimate;
  std::vector<StageLoss> losses;  // per stage (growth-aware)
  double predicted_loss = 0;      // after the last stage
  double tokens = 0;              // trained in all stages
  std::string shapes;             // "40x5760 -> 40x10240 -> 80x10240"
  ScheduleObjectives objectives() const;
};

// Which constraint makes the request impossible, in words.
struct Infeasibility {
  std::string constraint;  // "budget_usd", "deadline", "max_co2e", "gpus"
  std::string explanation;
};

struct RiskScreenStats {
  double percentile = 0;
  int simulated = 0;  // schedules simulated
  int shortened = 0;  // broke a limit at the percentile and were shortened until they held
  int dropped = 0;    // broke a limit and could not be shortened enough
};

struct SearchStats {
  int shapes = 0;  // in the ladder (fitting in memory)
  int grid_points = 0;
  long long vertices = 0;
  long long edges = 0;
  long long labels = 0;     // partial schedules the search extended
  long long schedules = 0;  // complete ones it kept (before the final front)
  std::optional<RiskScreenStats> risk;
  double seconds = 0;
};

struct SearchResult {
  std::vector<ScheduleCandidate> ranked;     // the Pareto front, best predicted loss first
  std::optional<ScheduleCandidate> scratch;  // the target from scratch, spending all it may
  std::optional<Infeasibility> infeasible;   // then ranked and scratch are empty
  bool cancelled = false;
  SearchStats stats;
};

struct SearchProgress {
  std::string phase;    // "costing shapes", "searching", "evaluating schedules"
  double fraction = 0;  // of the phase, 0..1
};
// Called now and then from the calling thread; return false to cancel (the
// result then has cancelled = true and whatever was complete).
using SearchProgressCallback = std::function<bool(const SearchProgress&)>;

// Throws InputError for a malformed request (non-positive budget or GPUs, a
// shape in `shapes` that cannot grow into the target, ...); an impossible but
// well-formed one returns `infeasible`.
SearchResult search_schedules(const SearchRequest& request, const SearchProgressCallback& progress = {});

// Any plan (e.g. plans/flm-101b.yaml) costed and loss-predicted like a
// search candidate, to place it against the front.
ScheduleCandidate evaluate_schedule(const Plan& plan, const LossModel& model);

// The objectives of every candidate, for place_on_front.
std::vector<ScheduleObjectives> objectives_of(const std::vector<ScheduleCandidate>& candidates);

}  // namespace sprout::planner
