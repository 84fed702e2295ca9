// SPDX-License-Identifier: GPL-3.0-or-later
// The summary step of the iteration simulator: a solved iteration graph as
// each rank's two streams in start order, the busiest rank and its bubble,
// the mean bubble over the ranks as sprout-train measures it, and the
// breakdown in the planner's categories (sums to the iteration time).
#pragma once

#include "iteration/task_graph.h"
#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator::internal {

IterationSchedule summarize_iteration(const SolvedTaskGraph& solved, const IterationInputs& inputs);

}  // namespace sprout::simulator::internal
