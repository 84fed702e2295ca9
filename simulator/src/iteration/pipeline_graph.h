// SPDX-License-Identifier: GPL-3.0-or-later
// The steps that build one training iteration's task graph, in the order
// simulate_iteration calls them:
// 1. add_rank_ops: each pipeline rank's forward and backward ops in its
//    execution order (planner::pipeline_order: 1F1B, or interleaved 1F1B,
//    Narayanan et al. 2021 sec. 2.2), each followed by its blocking p2p send;
// 2. link_virtual_stages: the data dependencies between the ops of adjacent
//    virtual stages (activations forward, gradients backward);
// 3. add_gradient_reduction_and_optimizer: the bucketed DP gradient
//    reduction on each rank's communication stream, overlapping the final
//    backward of each chunk, then the optimizer step and the ZeRO-1
//    parameter all-gather.
// Then TaskGraph::solve and summarize_iteration (iteration_summary.h).
// The inputs must have passed simulate_iteration's checks.
#pragma once

#include <cstddef>
#include <vector>

#include "iteration/task_graph.h"
#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator::internal {

// The tasks of the pipeline ops. Ops are indexed by cell(virtual stage,
// micro-batch); chunk c of rank r is virtual stage c * p + r.
struct PipelineOpTasks {
  int micro_batches = 1;
  std::vector<TaskId> forward, backward;
  // The p2p send after each op; kNoTask where the op sends nothing.
  std::vector<TaskId> send_activation, send_gradient;
  std::vector<TaskId> last_compute;                         // per rank: its last pipeline task
  std::vector<std::vector<TaskId>> last_backward_of_chunk;  // [rank][chunk]: the chunk's final backward
  std::vector<std::vector<int>> chunk_finish_order;         // per rank: its chunks by their final backward

  size_t cell(int virtual_stage, int micro_batch) const {
    return static_cast<size_t>(virtual_stage) * micro_batches + micro_batch;
  }
};

PipelineOpTasks add_rank_ops(TaskGraph& graph, const IterationInputs& inputs);

void link_virtual_stages(TaskGraph& graph, const PipelineOpTasks& ops, const IterationInputs& inputs);

// Returns the tasks that end the iteration (each rank's optimizer step and
// parameter all-gather).
std::vector<TaskId> add_gradient_reduction_and_optimizer(TaskGraph& graph, const PipelineOpTasks& ops,
                                                         const IterationInputs& inputs);

}  // namespace sprout::simulator::internal
