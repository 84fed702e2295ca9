// SPDX-License-Identifier: GPL-3.0-or-later
#include "iteration/task_graph.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dag_shortest_paths.hpp>
#include <boost/graph/exception.hpp>

#include <functional>
#include <limits>
#include <stdexcept>

namespace sprout::simulator::internal {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, double>>;
constexpr TaskId kSource = 0;

}  // namespace

TaskId TaskGraph::add(const ScheduledTask& task, double duration_s) {
  tasks_.push_back(task);
  tasks_.back().end_s = duration_s;
  return static_cast<TaskId>(tasks_.size());
}

void TaskGraph::edge(TaskId from, TaskId to, double lag_s) {
  edges_.emplace_back(from, to);
  lags_s_.push_back(lag_s);
}

SolvedTaskGraph TaskGraph::solve(const std::vector<TaskId>& final_tasks) && {
  const int task_end = task_count() + 1;  // one past the last task's vertex
  for (TaskId id = 1; id < task_end; ++id) edge(kSource, id, 0);
  const int sink = task_end;
  for (TaskId id : final_tasks) after(id, sink);

  const Graph graph(edges_.begin(), edges_.end(), lags_s_.begin(), task_end + 1);
  std::vector<double> start_s(task_end + 1);
  std::vector<Graph::vertex_descriptor> predecessor(task_end + 1);
  try {
    // Longest paths: shortest paths under a reversed comparison, -inf as "unreached".
    boost::dag_shortest_paths(graph, kSource,
                              boost::distance_map(start_s.data())
                                  .predecessor_map(predecessor.data())
                                  .distance_compare(std::greater<double>())
                                  .distance_inf(-std::numeric_limits<double>::infinity())
                                  .distance_zero(0.0));
  } catch (const boost::not_a_dag&) {
    throw std::logic_error("pipeline schedule deadlocks (cyclic task graph)");
  }

  SolvedTaskGraph out;
  out.makespan_s = start_s[sink];
  out.tasks = std::move(tasks_);
  for (TaskId id = 1; id < task_end; ++id) {
    ScheduledTask& t = out.tasks[id - 1];
    const double duration = t.end_s;
    t.start_s = start_s[id];
    t.end_s = t.start_s + duration;
  }
  // Critical path: from the sink back to the source along the predecessors
  // that set each start time.
  for (auto id = predecessor[sink]; id != kSource && id != predecessor[id]; id = predecessor[id]) {
    out.tasks[id - 1].critical = true;
  }
  return out;
}

}  // namespace sprout::simulator::internal
