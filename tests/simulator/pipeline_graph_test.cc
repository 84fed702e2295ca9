// SPDX-License-Identifier: GPL-3.0-or-later
// The pieces simulate_iteration is built from: the task graph and its
// solver, the pipeline steps that fill it, and the summary.
#include "iteration/pipeline_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "iteration/iteration_summary.h"
#include "iteration/task_graph.h"
#include "uniform_iteration.h"

namespace sprout::simulator::internal {
namespace {

using sprout::simulator::test_support::uniform;

struct BuiltIteration {
  int tasks = 0;
  int edges = 0;
  SolvedTaskGraph solved;
};

// The steps in simulate_iteration's order.
BuiltIteration build_and_solve(const IterationInputs& in) {
  TaskGraph graph;
  const PipelineOpTasks ops = add_rank_ops(graph, in);
  link_virtual_stages(graph, ops, in);
  const std::vector<TaskId> final_tasks = add_gradient_reduction_and_optimizer(graph, ops, in);
  BuiltIteration out{graph.task_count(), graph.edge_count(), {}};
  out.solved = std::move(graph).solve(final_tasks);
  return out;
}

ScheduledTask task_named(const ScheduledTask& base, TaskKind kind) {
  ScheduledTask t = base;
  t.kind = kind;
  return t;
}

TEST(TaskGraph, StartsAreLongestPathsAndTheCriticalPathEndsTheMakespan) {
  TaskGraph graph;
  const TaskId a = graph.add(task_named({}, TaskKind::kForward), 2.0);
  const TaskId b = graph.add(task_named({}, TaskKind::kForward), 3.0);
  const TaskId c = graph.add(task_named({}, TaskKind::kBackward), 1.0);
  const TaskId d = graph.add(task_named({}, TaskKind::kGradientReduce), 0.25);
  graph.after(a, c);
  graph.after(b, c);
  graph.edge(a, d, 0.5);  // d may start half a second into a
  EXPECT_EQ(graph.task_count(), 4);
  EXPECT_EQ(graph.edge_count(), 3);
  const SolvedTaskGraph solved = std::move(graph).solve({c, d});
  ASSERT_EQ(solved.tasks.size(), 4u);
  EXPECT_DOUBLE_EQ(solved.makespan_s, 4.0);  // b (3 s) then c (1 s)
  EXPECT_DOUBLE_EQ(solved.tasks[c - 1].start_s, 3.0);
  EXPECT_DOUBLE_EQ(solved.tasks[c - 1].end_s, 4.0);
  EXPECT_DOUBLE_EQ(solved.tasks[d - 1].start_s, 0.5);
  EXPECT_DOUBLE_EQ(solved.tasks[d - 1].end_s, 0.75);
  EXPECT_FALSE(solved.tasks[a - 1].critical);
  EXPECT_TRUE(solved.tasks[b - 1].critical);
  EXPECT_TRUE(solved.tasks[c - 1].critical);
  EXPECT_FALSE(solved.tasks[d - 1].critical);
}

TEST(TaskGraph, ACycleIsADeadlock) {
  TaskGraph graph;
  const TaskId a = graph.add({}, 1.0);
  const TaskId b = graph.add({}, 1.0);
  graph.after(a, b);
  graph.after(b, a);
  EXPECT_THROW(std::move(graph).solve({b}), std::logic_error);
}

// 1F1B on p = 2 ranks with m = 4 micro-batches (Narayanan et al. 2021,
// sec. 2.2.1): the bubble is (p - 1)(t_f + t_b) = 3 s of the ideal
// m (t_f + t_b) = 12 s, a fraction (p - 1)/m = 1/4, and the iteration takes
// (m + p - 1)(t_f + t_b) = 15 s.
TEST(PipelineGraph, TwoStageOneF1BHasItsOpsSendsAndTheKnownBubble) {
  const int p = 2, v = 1, m = 4;
  const IterationInputs in = uniform(p, m, v);
  TaskGraph graph;
  const PipelineOpTasks ops = add_rank_ops(graph, in);
  // A forward and a backward of every micro-batch on every virtual stage,
  // and a send across each of the p v - 1 stage boundaries both ways.
  const int op_tasks = 2 * p * v * m;
  const int send_tasks = 2 * m * (p * v - 1);
  EXPECT_EQ(graph.task_count(), op_tasks + send_tasks);  // 24
  // Each rank's compute stream is one chain.
  const int stream_edges = op_tasks + send_tasks - p;
  EXPECT_EQ(graph.edge_count(), stream_edges);  // 22
  EXPECT_EQ(ops.last_compute.size(), 2u);
  link_virtual_stages(graph, ops, in);
  // Activations forward and gradients backward across each boundary, and the
  // loss turning each micro-batch around on the last virtual stage.
  const int link_edges = 2 * m * (p * v - 1) + m;
  EXPECT_EQ(graph.edge_count(), stream_edges + link_edges);  // 34
  const std::vector<TaskId> final_tasks = add_gradient_reduction_and_optimizer(graph, ops, in);
  EXPECT_EQ(final_tasks.size(), 2u);                             // no DP reduction: an optimizer step per rank
  EXPECT_EQ(graph.task_count(), op_tasks + send_tasks + p);      // 26
  EXPECT_EQ(graph.edge_count(), stream_edges + link_edges + p);  // 36
  const SolvedTaskGraph solved = std::move(graph).solve(final_tasks);
  EXPECT_DOUBLE_EQ(solved.makespan_s, (m + p - 1) * 3.0);

  const IterationSchedule s = summarize_iteration(solved, in);
  EXPECT_EQ(s.task_count, 26);
  EXPECT_EQ(s.schedule, PipelineSchedule::k1F1B);
  EXPECT_DOUBLE_EQ(s.bubble_s, (p - 1) * 3.0);
  EXPECT_DOUBLE_EQ(s.bubble_fraction, (p - 1.0) / m);
  EXPECT_NEAR(s.breakdown.total_s(), s.iteration_s, 1e-12);
}

// Interleaved 1F1B with v = 2 chunks per rank (Narayanan et al. 2021,
// sec. 2.2.2): the bubble shrinks by v, to (p - 1)/(v m) of the ideal time.
TEST(PipelineGraph, InterleavedTwoChunksDividesTheBubbleByV) {
  const int p = 4, v = 2, m = 8;
  const BuiltIteration built = build_and_solve(uniform(p, m, v));
  EXPECT_EQ(built.tasks, 2 * p * v * m + 2 * m * (p * v - 1) + p);  // 244
  const IterationSchedule s = summarize_iteration(built.solved, uniform(p, m, v));
  EXPECT_EQ(s.schedule, PipelineSchedule::kInterleaved1F1B);
  EXPECT_NEAR(s.bubble_fraction, (p - 1.0) / (v * m), 1e-12);
  // 1F1B on the same ranks waits v times longer.
  const IterationSchedule one_f_one_b = summarize_iteration(build_and_solve(uniform(p, m, 1)).solved, uniform(p, m, 1));
  EXPECT_NEAR(one_f_one_b.bubble_fraction, (p - 1.0) / m, 1e-12);
}

// Bucketed DP gradient reduction overlapping the backward pass (PyTorch
// DDP, Li et al., VLDB 2020, sec. 3.2.3; Megatron-LM --overlap-grad-reduce):
// a bucket is reduced once the final backward has produced its gradients,
// so only the last bucket runs after the last backward.
TEST(PipelineGraph, GradientReductionOverlapsTheFinalBackwardAndFinishesAfterIt) {
  IterationInputs in = uniform(2, 4, 1);
  in.gradient_buckets_per_chunk = 4;
  in.micro.dp_allreduce_s = 1.0;  // 0.25 s per bucket, less than a quarter of a backward (0.5 s)
  in.micro.dp_overlap = true;
  const BuiltIteration overlapped = build_and_solve(in);
  const IterationSchedule hidden = summarize_iteration(overlapped.solved, in);
  EXPECT_EQ(overlapped.tasks, 26 + 2 * 4);  // the 2-stage 1F1B graph and 4 buckets per rank
  for (int rank = 0; rank < 2; ++rank) {
    double last_backward_start_s = 0, last_backward_end_s = 0, reduction_end_s = 0, optimizer_start_s = 0;
    std::vector<double> bucket_start_s;
    for (const ScheduledTask& t : overlapped.solved.tasks) {
      if (t.stage != rank) continue;
      if (t.kind == TaskKind::kBackward && t.end_s > last_backward_end_s) {
        last_backward_start_s = t.start_s;
        last_backward_end_s = t.end_s;
      }
      if (t.kind == TaskKind::kGradientReduce) {
        bucket_start_s.push_back(t.start_s);
        reduction_end_s = std::max(reduction_end_s, t.end_s);
      }
      if (t.kind == TaskKind::kOptimizer) optimizer_start_s = t.start_s;
    }
    ASSERT_EQ(bucket_start_s.size(), 4u);
    for (int b = 0; b < 4; ++b) {  // bucket b is ready after (b + 1)/4 of the final backward
      EXPECT_DOUBLE_EQ(bucket_start_s[b], last_backward_start_s + 0.5 * (b + 1)) << rank << " " << b;
    }
    EXPECT_DOUBLE_EQ(reduction_end_s, last_backward_end_s + 0.25) << rank;
    EXPECT_DOUBLE_EQ(optimizer_start_s, reduction_end_s) << rank;
  }
  // Without the overlap the whole reduction (1 s) follows the rank's last op.
  in.micro.dp_overlap = false;
  const IterationSchedule exposed = summarize_iteration(build_and_solve(in).solved, in);
  EXPECT_NEAR(exposed.iteration_s - hidden.iteration_s, 0.75, 1e-12);
  EXPECT_NEAR(hidden.breakdown.dp_comm_s, 0.25, 1e-12);
}

}  // namespace
}  // namespace sprout::simulator::internal
