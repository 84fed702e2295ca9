// SPDX-License-Identifier: GPL-3.0-or-later
// The schedule search's graph (a Boost.Graph adjacency_list) and its
// multi-objective path search. Internal to schedule_search.cc.
//
// Vertices: a source, a sink, and (shape, grid point) for every ladder shape
// and every point of a geometric grid of tokens trained so far. Edges:
//   start   source -> (shape, 0)            first stage at that shape
//   train   (s, j) -> (s, j + 1)            train grid[j+1] - grid[j] more tokens
//   grow    (s, j) -> (s', j)               MSG width or depth growth to s'
//   finish  (target, j) -> sink             the schedule ends
// A label (partial schedule) carries its cost, time, CO2e, loss state, stage
// count and tokens in its current stage. The graph is a DAG (tokens and
// parameters only grow); vertices are visited in a topological order (grid
// point by grid point, shapes by size), so each vertex's labels are all
// present, and pruned to their Pareto set, before any is extended.
#pragma once

#include <functional>
#include <limits>
#include <vector>

#include "search/shape_costs.h"
#include "sprout/planner/loss/loss_model.h"

namespace sprout::planner {

struct ScheduleGraphProblem {
  std::vector<const ShapeCost*> shapes;        // ascending parameters, target last
  std::vector<std::vector<size_t>> grows_to;   // per shape: shapes one MSG step reaches
  std::vector<std::vector<Costs>> transition;  // [from][to]: stop, checkpoint, grow, restart
  std::vector<double> grid;                    // tokens so far; grid[0] = 0, increasing
  LossModel loss;
  double budget_usd = 0;
  double deadline_s = std::numeric_limits<double>::infinity();
  double max_co2e_kg = std::numeric_limits<double>::infinity();
  int max_stages = 3;
  double min_stage_tokens = 0;  // every stage trains at least this many
  size_t max_schedules = 1000;  // the sink's Pareto set is thinned to this many
};

struct GraphSchedule {
  struct Stage {
    size_t shape = 0;
    double tokens = 0;
  };
  std::vector<Stage> stages;
};

struct ScheduleGraphResult {
  std::vector<GraphSchedule> schedules;  // the Pareto set at the sink (thinned)
  long long vertices = 0;
  long long edges = 0;
  long long labels = 0;
  bool cancelled = false;
};

// `progress(fraction)` is called every few dozen vertices; false cancels.
ScheduleGraphResult search_schedule_graph(const ScheduleGraphProblem& problem,
                                          const std::function<bool(double)>& progress);

}  // namespace sprout::planner
