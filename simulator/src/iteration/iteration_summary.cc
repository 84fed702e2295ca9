// SPDX-License-Identifier: GPL-3.0-or-later
#include "iteration/iteration_summary.h"

#include <algorithm>
#include <vector>

namespace sprout::simulator::internal {
namespace {

bool is_pipeline_task(TaskKind kind) {
  return kind == TaskKind::kForward || kind == TaskKind::kBackward || kind == TaskKind::kSendActivation ||
         kind == TaskKind::kSendGradient;
}

// One rank's pipeline phase (forward, backward and send tasks).
struct RankPipelineTime {
  double ops_s = 0;      // forward and backward
  double tp_comm_s = 0;  // the TP collectives inside them
  double send_s = 0;     // blocking p2p
  double end_s = 0;      // end of its last pipeline task
};

// Puts each task on its rank's compute or communication stream, in start
// order, and sets the pipeline phase's end and the busiest rank.
std::vector<RankPipelineTime> place_on_devices(const std::vector<ScheduledTask>& tasks, IterationSchedule& out) {
  out.devices.resize(out.stages);
  std::vector<RankPipelineTime> ranks(out.stages);
  for (const ScheduledTask& t : tasks) {
    DeviceTimeline& d = out.devices[t.stage];
    const bool comm_stream = t.kind == TaskKind::kGradientReduce || t.kind == TaskKind::kParameterGather;
    (comm_stream ? d.communication : d.compute).push_back(t);
    if (!is_pipeline_task(t.kind)) continue;
    RankPipelineTime& rank = ranks[t.stage];
    d.pipeline_busy_s += t.duration_s();
    out.pipeline_s = std::max(out.pipeline_s, t.end_s);
    rank.end_s = std::max(rank.end_s, t.end_s);
    if (t.kind == TaskKind::kForward || t.kind == TaskKind::kBackward) {
      rank.ops_s += t.duration_s();
      rank.tp_comm_s += t.comm_s;
    } else {
      rank.send_s += t.duration_s();
    }
  }
  auto by_start = [](const ScheduledTask& a, const ScheduledTask& b) { return a.start_s < b.start_s; };
  for (int r = 0; r < out.stages; ++r) {
    DeviceTimeline& d = out.devices[r];
    d.stage = r;
    std::stable_sort(d.compute.begin(), d.compute.end(), by_start);
    std::stable_sort(d.communication.begin(), d.communication.end(), by_start);
    if (d.pipeline_busy_s > out.devices[out.busiest_stage].pipeline_busy_s) out.busiest_stage = r;
  }
  return ranks;
}

// The bubble and the breakdown on the busiest rank, in the planner's
// categories; the bubble per rank averaged over the ranks.
void summarize_time(const std::vector<RankPipelineTime>& ranks, const planner::MicroBatchTimes& mt,
                    IterationSchedule& out) {
  const RankPipelineTime& busiest = ranks[out.busiest_stage];
  planner::IterationBreakdown& br = out.breakdown;
  br.other_s = static_cast<double>(out.micro_batches) * out.chunks * mt.launch_overhead_s;
  br.tp_comm_s = busiest.tp_comm_s;
  br.compute_s = busiest.ops_s - busiest.tp_comm_s - br.other_s;
  br.pp_comm_s = busiest.send_s;
  br.bubble_s = std::max(0.0, out.pipeline_s - out.devices[out.busiest_stage].pipeline_busy_s);
  br.optimizer_s = mt.optimizer_s;
  br.dp_comm_s = std::max(0.0, out.iteration_s - out.pipeline_s - mt.optimizer_s);
  out.bubble_s = br.bubble_s;
  // Narayanan et al. 2021 sec. 2.2 relate the bubble to the op time: (p-1)/m
  // for 1F1B, (p-1)/(v m) interleaved, for uniform stages.
  out.bubble_fraction = busiest.ops_s > 0 ? out.bubble_s / busiest.ops_s : 0;
  const int p = out.stages;
  for (int r = 0; r < p; ++r) {
    const double idle_s = std::max(0.0, ranks[r].end_s - out.devices[r].pipeline_busy_s);
    out.mean_rank_bubble_fraction += ranks[r].ops_s > 0 ? idle_s / ranks[r].ops_s / p : 0;
  }
  out.exposed_comm_s = br.tp_comm_s + br.pp_comm_s + br.dp_comm_s;
}

}  // namespace

IterationSchedule summarize_iteration(const SolvedTaskGraph& solved, const IterationInputs& in) {
  IterationSchedule out;
  out.stages = in.pipeline_stages;
  out.chunks = in.micro.chunks_per_stage;
  out.micro_batches = in.micro.micro_batches;
  out.schedule = out.chunks > 1 ? PipelineSchedule::kInterleaved1F1B : PipelineSchedule::k1F1B;
  out.iteration_s = solved.makespan_s;
  out.task_count = static_cast<int>(solved.tasks.size());
  const std::vector<RankPipelineTime> ranks = place_on_devices(solved.tasks, out);
  summarize_time(ranks, in.micro, out);
  return out;
}

}  // namespace sprout::simulator::internal
