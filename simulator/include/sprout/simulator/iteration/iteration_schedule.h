// SPDX-License-Identifier: GPL-3.0-or-later
// One training iteration of a stage as a task graph: forward and backward of
// every micro-batch on every pipeline rank (1F1B, or interleaved 1F1B with v
// chunks per rank, Narayanan et al. 2021 sec. 2.2), blocking p2p sends
// between ranks, the TP collectives inside each op, the bucketed DP gradient
// reduction that overlaps the last backward passes, and the optimizer step.
// Durations come from the planner's cost model (planner::MicroBatchTimes); the
// schedule is the DAG's longest path with each rank's streams serialized.
#pragma once

#include <vector>

#include "sprout/planner/model/throughput_model.h"

namespace sprout::simulator {

enum class TaskKind {
  kForward,          // one micro-batch through one chunk (TP collectives inside)
  kBackward,         // its gradient (recomputation and TP collectives inside)
  kSendActivation,   // p2p to the next pipeline rank (blocking, Megatron-LM)
  kSendGradient,     // p2p to the previous pipeline rank
  kGradientReduce,   // one DP bucket (reduce-scatter / all-reduce), comm stream
  kOptimizer,        // Adam step
  kParameterGather,  // ZeRO-1 all-gather of the updated bf16 weights
};
const char* to_string(TaskKind kind);
bool is_communication(TaskKind kind);

// One bar of the Gantt chart.
struct ScheduledTask {
  TaskKind kind = TaskKind::kForward;
  int stage = 0;         // pipeline rank (every TP x DP rank of it runs the same timeline)
  int chunk = -1;        // model chunk on that rank (0..v-1); -1 for per-rank tasks
  int micro_batch = -1;  // -1 for per-rank tasks
  int bucket = -1;       // DP bucket index for kGradientReduce
  double start_s = 0;
  double end_s = 0;
  double comm_s = 0;      // communication inside it (TP collectives of an op; all of a send)
  bool critical = false;  // on the critical path of the iteration
  double duration_s() const { return end_s - start_s; }
};

// The two streams of one pipeline rank: compute (ops, blocking sends,
// optimizer) and the DP communication stream, each in start order.
struct DeviceTimeline {
  int stage = 0;
  std::vector<ScheduledTask> compute;
  std::vector<ScheduledTask> communication;
  double pipeline_busy_s = 0;  // forward/backward/send time before the optimizer
};

enum class PipelineSchedule { k1F1B, kInterleaved1F1B };
const char* to_string(PipelineSchedule schedule);

struct IterationInputs {
  planner::MicroBatchTimes micro;      // per micro-batch per chunk, from the planner
  int pipeline_stages = 1;             // p
  int gradient_buckets_per_chunk = 1;  // DP reduction granularity (one per layer by default)
  // Measured times of one micro-batch's forward and backward on each virtual
  // stage (p * v entries; chunk c of rank r is virtual stage c * p + r). When
  // set they replace micro.forward_s/backward_s, the first/last-stage extras
  // and the launch overhead: the DAG then predicts the bubble of a run from
  // that run's own op times (sprout compare, pipeline_bubble.h).
  std::vector<double> forward_s_by_virtual_stage;
  std::vector<double> backward_s_by_virtual_stage;
  // Measured times of every op (p * v * m entries: micro-batch mb on virtual
  // stage s at s * m + mb). When set they replace all of the above: the DAG
  // replays a step as it ran, ops whose neighbours idle (faster on a shared
  // CPU) included.
  std::vector<double> forward_s_by_op;
  std::vector<double> backward_s_by_op;
  // Measured time the rank spent in p2p calls after each forward and
  // backward op (same indexing; posting its send and its next receive):
  // the op's send task takes that long, and an op without a send gets a
  // task of that length on its rank (blocking, as the calls block).
  std::vector<double> forward_p2p_s_by_op;
  std::vector<double> backward_p2p_s_by_op;
};

// The inputs for a stage's workload: the planner's per-micro-batch times and
// one gradient bucket per layer of a chunk.
IterationInputs iteration_inputs(const planner::StageWorkload& work, const planner::IterationEstimate& analytic);

struct IterationSchedule {
  PipelineSchedule schedule = PipelineSchedule::k1F1B;
  int stages = 1;          // p
  int chunks = 1;          // v
  int micro_batches = 1;   // m
  double iteration_s = 0;  // makespan
  double pipeline_s = 0;   // end of the last forward/backward/send on any rank
  int busiest_stage = 0;   // rank with the most pipeline work (sets the pace)
  double bubble_s = 0;     // idle time of the busiest rank during the pipeline phase
  // Bubble relative to the busiest rank's op time (Narayanan et al. 2021:
  // (p-1)/m for 1F1B, (p-1)/(v m) interleaved, for uniform stages).
  double bubble_fraction = 0;
  // The same per pipeline rank, then averaged over the ranks, as sprout-train
  // measures it: the rank's idle time (neither an op nor a send) from the
  // iteration's start to the end of its last pipeline task, over its
  // forward/backward time.
  double mean_rank_bubble_fraction = 0;
  double exposed_comm_s = 0;  // TP + p2p + DP communication that nothing hides
  // Same categories as the planner's analytic model; sums to iteration_s.
  planner::IterationBreakdown breakdown;
  std::vector<DeviceTimeline> devices;  // one per pipeline rank
  int task_count = 0;
};

// Throws std::invalid_argument for a degenerate input (p < 1, m < 1, v < 1,
// negative durations).
IterationSchedule simulate_iteration(const IterationInputs& inputs);

// The planner's estimate with its iteration time and breakdown replaced by the
// DAG's (throughput, MFU recomputed): a planner::IterationRefiner.
planner::IterationEstimate simulated_iteration_estimate(const planner::StageWorkload& work,
                                                        const planner::IterationEstimate& analytic,
                                                        const planner::HardwareProfile& hw);

}  // namespace sprout::simulator
