// SPDX-License-Identifier: GPL-3.0-or-later
// A task graph solved for earliest start times: vertices are tasks, an edge
// u -> v with lag w says "v starts at least w seconds after u starts" (w = u's
// duration for an ordinary dependency). Start times are the longest paths from
// a source vertex (Boost.Graph dag_shortest_paths with a reversed
// comparison), the makespan is the longest path to a sink, and its
// predecessor chain is the critical path.
#pragma once

#include <utility>
#include <vector>

#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator::internal {

// A task's vertex; the source is vertex 0, tasks are numbered from 1 in the
// order they are added.
using TaskId = int;
inline constexpr TaskId kNoTask = -1;

// Every task with its start, end and critical flag, in the order added.
struct SolvedTaskGraph {
  std::vector<ScheduledTask> tasks;
  double makespan_s = 0;  // longest path to the sink
};

class TaskGraph {
 public:
  // Adds a task lasting `duration_s` (its start and end are set by solve).
  TaskId add(const ScheduledTask& task, double duration_s);
  // `to` starts after `from` finishes.
  void after(TaskId from, TaskId to) { edge(from, to, duration_s(from)); }
  // `to` starts `lag_s` after `from` starts.
  void edge(TaskId from, TaskId to, double lag_s);
  double duration_s(TaskId id) const { return tasks_[id - 1].end_s; }

  int task_count() const { return static_cast<int>(tasks_.size()); }
  // Dependencies added so far (solve adds one from the source to every task
  // and one from each of the final tasks to the sink).
  int edge_count() const { return static_cast<int>(edges_.size()); }

  // Earliest start times; the iteration ends when every task of `final_tasks`
  // has. Consumes the graph. Throws std::logic_error for a cycle (a schedule
  // that deadlocks).
  SolvedTaskGraph solve(const std::vector<TaskId>& final_tasks) &&;

 private:
  // end_s holds the duration until the schedule is known.
  std::vector<ScheduledTask> tasks_;
  std::vector<std::pair<int, int>> edges_;
  std::vector<double> lags_s_;
};

}  // namespace sprout::simulator::internal
