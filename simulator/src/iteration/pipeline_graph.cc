// SPDX-License-Identifier: GPL-3.0-or-later
#include "iteration/pipeline_graph.h"

#include <algorithm>

#include "sprout/planner/model/pipeline_order.h"

namespace sprout::simulator::internal {
namespace {

// With uneven pipeline stages the planner's per-chunk times are for the mean
// stage: a stage's layer ops scale with its layer count.
double layer_scale(const planner::MicroBatchTimes& mt, int virtual_stage) {
  if (mt.layers_by_stage.empty()) return 1;
  double layers = 0;
  for (int n : mt.layers_by_stage) layers += n;
  const double mean = layers / static_cast<double>(mt.layers_by_stage.size());
  return mt.layers_by_stage[static_cast<size_t>(virtual_stage)] / mean;
}

// Embedding on the first virtual stage, logits + loss on the last; both
// split 1:2 between forward and backward like the layers. Kernel launches
// likewise (backward launches about twice the kernels).
// Measured per op, else per virtual stage, else from the planner's times.
double forward_op_s(const IterationInputs& in, int virtual_stage, int micro_batch) {
  const planner::MicroBatchTimes& mt = in.micro;
  if (!in.forward_s_by_op.empty()) {
    return in.forward_s_by_op[static_cast<size_t>(virtual_stage) * mt.micro_batches + micro_batch];
  }
  if (!in.forward_s_by_virtual_stage.empty()) return in.forward_s_by_virtual_stage[static_cast<size_t>(virtual_stage)];
  const int last_virtual_stage = in.pipeline_stages * mt.chunks_per_stage - 1;
  return (mt.forward_s + mt.launch_overhead_s / 3) * layer_scale(mt, virtual_stage) +
         (virtual_stage == 0 ? mt.first_stage_extra_s / 3 : 0) +
         (virtual_stage == last_virtual_stage ? mt.last_stage_extra_s / 3 : 0);
}

double backward_op_s(const IterationInputs& in, int virtual_stage, int micro_batch) {
  const planner::MicroBatchTimes& mt = in.micro;
  if (!in.backward_s_by_op.empty()) {
    return in.backward_s_by_op[static_cast<size_t>(virtual_stage) * mt.micro_batches + micro_batch];
  }
  if (!in.backward_s_by_virtual_stage.empty()) {
    return in.backward_s_by_virtual_stage[static_cast<size_t>(virtual_stage)];
  }
  const int last_virtual_stage = in.pipeline_stages * mt.chunks_per_stage - 1;
  return (mt.backward_s + 2 * mt.launch_overhead_s / 3) * layer_scale(mt, virtual_stage) +
         (virtual_stage == 0 ? 2 * mt.first_stage_extra_s / 3 : 0) +
         (virtual_stage == last_virtual_stage ? 2 * mt.last_stage_extra_s / 3 : 0);
}

// Adds one rank's ops to its compute stream, each task starting after the
// previous one.
class RankOpAdder {
 public:
  RankOpAdder(TaskGraph& graph, const IterationInputs& in, PipelineOpTasks& ops, int rank)
      : graph_(graph), in_(in), ops_(ops), rank_(rank) {}

  void add(const planner::PipelineOp& op) {
    ScheduledTask t;
    t.stage = rank_;
    t.chunk = op.chunk;
    t.micro_batch = op.micro_batch;
    const int virtual_stage = op.chunk * in_.pipeline_stages + rank_;
    if (op.forward) {
      add_forward(t, virtual_stage);
    } else {
      add_backward(t, virtual_stage);
    }
  }
  TaskId last() const { return last_; }

 private:
  void add_forward(ScheduledTask t, int virtual_stage) {
    const size_t cell = ops_.cell(virtual_stage, t.micro_batch);
    t.kind = TaskKind::kForward;
    t.comm_s = in_.micro.forward_tp_comm_s * layer_scale(in_.micro, virtual_stage);
    const TaskId id = graph_.add(t, forward_op_s(in_, virtual_stage, t.micro_batch));
    ops_.forward[cell] = id;
    append(id);
    const bool sends = in_.pipeline_stages > 1 && virtual_stage < last_virtual_stage();
    ops_.send_activation[cell] = add_p2p_after(t, TaskKind::kSendActivation, in_.forward_p2p_s_by_op, cell, sends);
  }

  void add_backward(ScheduledTask t, int virtual_stage) {
    const size_t cell = ops_.cell(virtual_stage, t.micro_batch);
    t.kind = TaskKind::kBackward;
    t.comm_s = in_.micro.backward_tp_comm_s * layer_scale(in_.micro, virtual_stage);
    const TaskId id = graph_.add(t, backward_op_s(in_, virtual_stage, t.micro_batch));
    ops_.backward[cell] = id;
    append(id);
    note_backward_of_chunk(t.chunk, id);
    const bool sends = in_.pipeline_stages > 1 && virtual_stage > 0;
    ops_.send_gradient[cell] = add_p2p_after(t, TaskKind::kSendGradient, in_.backward_p2p_s_by_op, cell, sends);
  }

  // The chunk's latest backward so far, and the chunk moved to the end of
  // the rank's finish order.
  void note_backward_of_chunk(int chunk, TaskId id) {
    TaskId& last = ops_.last_backward_of_chunk[rank_][chunk];
    std::vector<int>& order = ops_.chunk_finish_order[rank_];
    if (last != kNoTask) order.erase(std::remove(order.begin(), order.end(), chunk), order.end());
    last = id;
    order.push_back(chunk);
  }

  // The p2p after an op, on the rank's stream, measured per op or the
  // planner's per send: its send (id returned), or, with measured p2p calls,
  // a task for the calls of an op that sends nothing (kNoTask returned).
  TaskId add_p2p_after(ScheduledTask t, TaskKind kind, const std::vector<double>& measured_s, size_t cell,
                       bool sends_output) {
    const bool measured = !measured_s.empty();
    const double seconds = measured ? measured_s[cell] : in_.micro.p2p_s;
    t.kind = kind;
    t.comm_s = seconds;
    if (!sends_output && !(measured && seconds > 0)) return kNoTask;
    const TaskId id = graph_.add(t, seconds);
    append(id);
    return sends_output ? id : kNoTask;
  }

  void append(TaskId id) {
    if (last_ != kNoTask) graph_.after(last_, id);
    last_ = id;
  }
  int last_virtual_stage() const { return in_.pipeline_stages * in_.micro.chunks_per_stage - 1; }

  TaskGraph& graph_;
  const IterationInputs& in_;
  PipelineOpTasks& ops_;
  int rank_;
  TaskId last_ = kNoTask;
};

}  // namespace

PipelineOpTasks add_rank_ops(TaskGraph& graph, const IterationInputs& in) {
  const int p = in.pipeline_stages;
  const int v = in.micro.chunks_per_stage;
  const int m = in.micro.micro_batches;
  PipelineOpTasks ops;
  ops.micro_batches = m;
  const size_t cells = static_cast<size_t>(p) * v * m;
  for (auto* ids : {&ops.forward, &ops.backward, &ops.send_activation, &ops.send_gradient}) ids->assign(cells, kNoTask);
  ops.last_compute.assign(p, kNoTask);
  ops.last_backward_of_chunk.assign(p, std::vector<TaskId>(v, kNoTask));
  ops.chunk_finish_order.resize(p);
  for (int rank = 0; rank < p; ++rank) {
    RankOpAdder adder(graph, in, ops, rank);
    for (const planner::PipelineOp& op : planner::pipeline_order(rank, p, v, m)) adder.add(op);
    ops.last_compute[rank] = adder.last();
  }
  return ops;
}

void link_virtual_stages(TaskGraph& graph, const PipelineOpTasks& ops, const IterationInputs& in) {
  const int virtual_stages = in.pipeline_stages * in.micro.chunks_per_stage;
  const bool sends = in.pipeline_stages > 1;  // neighbouring chunks live on other ranks
  for (int vs = 0; vs < virtual_stages; ++vs) {
    for (int mb = 0; mb < ops.micro_batches; ++mb) {
      const size_t c = ops.cell(vs, mb);
      if (vs > 0) {
        const size_t up = ops.cell(vs - 1, mb);
        graph.after(sends ? ops.send_activation[up] : ops.forward[up], ops.forward[c]);
      }
      if (vs < virtual_stages - 1) {
        const size_t down = ops.cell(vs + 1, mb);
        graph.after(sends ? ops.send_gradient[down] : ops.backward[down], ops.backward[c]);
      } else {
        graph.after(ops.forward[c], ops.backward[c]);  // the loss turns the last forward around
      }
    }
  }
}

namespace {

// DP gradient reduction on the rank's communication stream: a chunk's
// buckets become ready as its final backward proceeds (reverse layer order,
// Megatron-LM --overlap-grad-reduce, PyTorch DDP), or all after the rank's
// last op. Returns the rank's last bucket (kNoTask without reduction).
TaskId add_gradient_buckets(TaskGraph& graph, const PipelineOpTasks& ops, const IterationInputs& in, int rank) {
  const planner::MicroBatchTimes& mt = in.micro;
  const int buckets = in.gradient_buckets_per_chunk;
  // ZeRO-1 all-gathers the updated weights after the step; the rest of the
  // DP time is the gradient reduction.
  const double grad_reduce_s = std::max(0.0, mt.dp_allreduce_s - mt.dp_param_gather_s);
  const double bucket_s = grad_reduce_s / (static_cast<double>(mt.chunks_per_stage) * buckets);
  TaskId previous = kNoTask;
  if (grad_reduce_s <= 0) return previous;
  for (int chunk : ops.chunk_finish_order[rank]) {
    const TaskId last_backward = ops.last_backward_of_chunk[rank][chunk];
    for (int b = 0; b < buckets; ++b) {
      ScheduledTask t;
      t.kind = TaskKind::kGradientReduce;
      t.stage = rank;
      t.chunk = chunk;
      t.bucket = b;
      t.comm_s = bucket_s;
      const TaskId id = graph.add(t, bucket_s);
      if (mt.dp_overlap) {
        graph.edge(last_backward, id, graph.duration_s(last_backward) * (b + 1) / buckets);
      } else {
        graph.after(ops.last_compute[rank], id);
      }
      if (previous != kNoTask) graph.after(previous, id);
      previous = id;
    }
  }
  return previous;
}

}  // namespace

std::vector<TaskId> add_gradient_reduction_and_optimizer(TaskGraph& graph, const PipelineOpTasks& ops,
                                                         const IterationInputs& in) {
  const planner::MicroBatchTimes& mt = in.micro;
  std::vector<TaskId> final_tasks;
  for (int rank = 0; rank < in.pipeline_stages; ++rank) {
    const TaskId last_bucket = add_gradient_buckets(graph, ops, in, rank);
    ScheduledTask optimizer;
    optimizer.kind = TaskKind::kOptimizer;
    optimizer.stage = rank;
    const TaskId optimizer_id = graph.add(optimizer, mt.optimizer_s);
    graph.after(ops.last_compute[rank], optimizer_id);
    if (last_bucket != kNoTask) graph.after(last_bucket, optimizer_id);
    final_tasks.push_back(optimizer_id);
    if (mt.dp_param_gather_s > 0) {
      ScheduledTask gather;
      gather.kind = TaskKind::kParameterGather;
      gather.stage = rank;
      gather.comm_s = mt.dp_param_gather_s;
      const TaskId gather_id = graph.add(gather, mt.dp_param_gather_s);
      graph.after(optimizer_id, gather_id);
      final_tasks.push_back(gather_id);
    }
  }
  return final_tasks;
}

}  // namespace sprout::simulator::internal
