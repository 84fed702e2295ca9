// SPDX-License-Identifier: GPL-3.0-or-later
// The iteration DAG: vertices are tasks, an edge u -> v with weight w says
// "v starts at least w seconds after u starts" (w = u's duration for an
// ordinary dependency). Start times are the longest paths from a source
// vertex (Boost.Graph dag_shortest_paths with a reversed comparison), the
// makespan is the longest path to a sink, and its predecessor chain is the
// critical path.
#include "sprout/simulator/iteration/iteration_schedule.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dag_shortest_paths.hpp>
#include <boost/graph/exception.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "sprout/planner/model/pipeline_order.h"

namespace sprout::simulator {

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::kForward: return "forward";
    case TaskKind::kBackward: return "backward";
    case TaskKind::kSendActivation: return "send_activation";
    case TaskKind::kSendGradient: return "send_gradient";
    case TaskKind::kGradientReduce: return "gradient_reduce";
    case TaskKind::kOptimizer: return "optimizer";
    case TaskKind::kParameterGather: return "parameter_gather";
  }
  return "?";
}

bool is_communication(TaskKind kind) {
  return kind == TaskKind::kSendActivation || kind == TaskKind::kSendGradient ||
         kind == TaskKind::kGradientReduce || kind == TaskKind::kParameterGather;
}

const char* to_string(PipelineSchedule schedule) {
  return schedule == PipelineSchedule::k1F1B ? "1F1B" : "interleaved 1F1B";
}

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, double>>;

bool is_pipeline_task(TaskKind kind) {
  return kind == TaskKind::kForward || kind == TaskKind::kBackward ||
         kind == TaskKind::kSendActivation || kind == TaskKind::kSendGradient;
}

// Collects tasks and edges; vertex 0 is the source, the sink is added last.
class GraphBuilder {
 public:
  GraphBuilder() { tasks_.emplace_back(); }  // the source

  int add(ScheduledTask task, double duration_s) {
    task.end_s = duration_s;  // duration until the schedule is known
    tasks_.push_back(task);
    return static_cast<int>(tasks_.size()) - 1;
  }
  // `to` starts after `from` finishes.
  void after(int from, int to) { edge(from, to, duration(from)); }
  // `to` starts `lag_s` after `from` starts.
  void edge(int from, int to, double lag_s) {
    edges_.emplace_back(from, to);
    weights_.push_back(lag_s);
  }
  double duration(int id) const { return tasks_[id].end_s; }
  std::vector<ScheduledTask>& tasks() { return tasks_; }
  const std::vector<std::pair<int, int>>& edges() const { return edges_; }
  const std::vector<double>& weights() const { return weights_; }

 private:
  std::vector<ScheduledTask> tasks_;
  std::vector<std::pair<int, int>> edges_;
  std::vector<double> weights_;
};

void check_inputs(const IterationInputs& in) {
  const planner::MicroBatchTimes& m = in.micro;
  if (in.pipeline_stages < 1) throw std::invalid_argument("pipeline stages must be >= 1");
  if (m.micro_batches < 1) throw std::invalid_argument("micro-batches must be >= 1");
  if (m.chunks_per_stage < 1) throw std::invalid_argument("chunks per stage must be >= 1");
  if (in.gradient_buckets_per_chunk < 1) throw std::invalid_argument("gradient buckets must be >= 1");
  const size_t virtual_stages = static_cast<size_t>(in.pipeline_stages) * m.chunks_per_stage;
  for (const auto* measured : {&in.forward_s_by_virtual_stage, &in.backward_s_by_virtual_stage}) {
    if (!measured->empty() && measured->size() != virtual_stages) {
      throw std::invalid_argument("measured op times need one entry per virtual stage (p * v)");
    }
    for (double d : *measured) {
      if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
    }
  }
  const size_t ops = virtual_stages * static_cast<size_t>(m.micro_batches);
  for (const auto* measured :
       {&in.forward_s_by_op, &in.backward_s_by_op, &in.forward_p2p_s_by_op, &in.backward_p2p_s_by_op}) {
    if (!measured->empty() && measured->size() != ops) {
      throw std::invalid_argument("measured op times need one entry per op (p * v * m)");
    }
    for (double d : *measured) {
      if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
    }
  }
  for (double d : {m.forward_s, m.backward_s, m.forward_tp_comm_s, m.backward_tp_comm_s, m.p2p_s,
                   m.first_stage_extra_s, m.last_stage_extra_s, m.dp_allreduce_s,
                   m.dp_param_gather_s, m.optimizer_s, m.launch_overhead_s}) {
    if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
  }
}

}  // namespace

IterationSchedule simulate_iteration(const IterationInputs& in) {
  check_inputs(in);
  const planner::MicroBatchTimes& mt = in.micro;
  const int p = in.pipeline_stages;
  const int v = mt.chunks_per_stage;
  const int m = mt.micro_batches;
  const int virtual_stages = p * v;
  const int buckets = in.gradient_buckets_per_chunk;

  // Embedding on the first virtual stage, logits + loss on the last; both
  // split 1:2 between forward and backward like the layers. Kernel launches
  // likewise (backward launches about twice the kernels).
  // Measured per op, else per virtual stage, else from the planner's times.
  auto forward_s = [&](int vs, int mb) {
    if (!in.forward_s_by_op.empty()) return in.forward_s_by_op[static_cast<size_t>(vs) * m + mb];
    if (!in.forward_s_by_virtual_stage.empty()) return in.forward_s_by_virtual_stage[static_cast<size_t>(vs)];
    return mt.forward_s + mt.launch_overhead_s / 3 +
           (vs == 0 ? mt.first_stage_extra_s / 3 : 0) +
           (vs == virtual_stages - 1 ? mt.last_stage_extra_s / 3 : 0);
  };
  auto backward_s = [&](int vs, int mb) {
    if (!in.backward_s_by_op.empty()) return in.backward_s_by_op[static_cast<size_t>(vs) * m + mb];
    if (!in.backward_s_by_virtual_stage.empty()) return in.backward_s_by_virtual_stage[static_cast<size_t>(vs)];
    return mt.backward_s + 2 * mt.launch_overhead_s / 3 +
           (vs == 0 ? 2 * mt.first_stage_extra_s / 3 : 0) +
           (vs == virtual_stages - 1 ? 2 * mt.last_stage_extra_s / 3 : 0);
  };
  const bool sends = p > 1;  // neighbouring chunks live on other ranks

  GraphBuilder g;
  // Task ids by (virtual stage, micro-batch): the op and the send after it.
  const size_t cells = static_cast<size_t>(virtual_stages) * m;
  std::vector<int> fwd(cells, -1), bwd(cells, -1), send_act(cells, -1), send_grad(cells, -1);
  auto cell = [&](int vs, int mb) { return static_cast<size_t>(vs) * m + mb; };
  // p2p time after an op: measured per op, or the planner's per send.
  auto p2p_after = [&](const std::vector<double>& measured, size_t c) {
    return measured.empty() ? mt.p2p_s : measured[c];
  };
  std::vector<int> last_compute(p, -1);
  std::vector<std::vector<int>> last_backward_of_chunk(p, std::vector<int>(v, -1));
  std::vector<std::vector<int>> chunk_finish_order(p);  // chunks by their final backward

  for (int rank = 0; rank < p; ++rank) {
    int prev = -1;
    auto chain = [&](int id) {
      if (prev >= 0) g.after(prev, id);
      prev = id;
    };
    // The p2p after an op, on the rank's stream: its send (id returned), or,
    // with measured p2p calls, a task for the calls of an op that sends
    // nothing (-1 returned).
    auto p2p_task = [&](ScheduledTask t, TaskKind kind, double seconds, bool sends_output, bool measured) {
      t.kind = kind;
      t.comm_s = seconds;
      if (!sends_output && !(measured && seconds > 0)) return -1;
      const int id = g.add(t, seconds);
      chain(id);
      return sends_output ? id : -1;
    };
    for (const planner::PipelineOp& op : planner::pipeline_order(rank, p, v, m)) {
      const int vs = op.chunk * p + rank;
      ScheduledTask t;
      t.stage = rank;
      t.chunk = op.chunk;
      t.micro_batch = op.micro_batch;
      if (op.forward) {
        t.kind = TaskKind::kForward;
        t.comm_s = mt.forward_tp_comm_s;
        const int id = g.add(t, forward_s(vs, op.micro_batch));
        fwd[cell(vs, op.micro_batch)] = id;
        chain(id);
        send_act[cell(vs, op.micro_batch)] =
            p2p_task(t, TaskKind::kSendActivation, p2p_after(in.forward_p2p_s_by_op, cell(vs, op.micro_batch)),
                     sends && vs < virtual_stages - 1, !in.forward_p2p_s_by_op.empty());
      } else {
        t.kind = TaskKind::kBackward;
        t.comm_s = mt.backward_tp_comm_s;
        const int id = g.add(t, backward_s(vs, op.micro_batch));
        bwd[cell(vs, op.micro_batch)] = id;
        chain(id);
        int& last = last_backward_of_chunk[rank][op.chunk];
        if (last >= 0) {
          auto& order = chunk_finish_order[rank];
          order.erase(std::remove(order.begin(), order.end(), op.chunk), order.end());
        }
        last = id;
        chunk_finish_order[rank].push_back(op.chunk);
        send_grad[cell(vs, op.micro_batch)] =
            p2p_task(t, TaskKind::kSendGradient, p2p_after(in.backward_p2p_s_by_op, cell(vs, op.micro_batch)),
                     sends && vs > 0, !in.backward_p2p_s_by_op.empty());
      }
    }
    last_compute[rank] = prev;
  }

  // Data dependencies along the virtual pipeline.
  for (int vs = 0; vs < virtual_stages; ++vs) {
    for (int mb = 0; mb < m; ++mb) {
      const size_t c = cell(vs, mb);
      if (vs > 0) {
        const size_t up = cell(vs - 1, mb);
        g.after(sends ? send_act[up] : fwd[up], fwd[c]);
      }
      if (vs < virtual_stages - 1) {
        const size_t down = cell(vs + 1, mb);
        g.after(sends ? send_grad[down] : bwd[down], bwd[c]);
      } else {
        g.after(fwd[c], bwd[c]);
      }
    }
  }

  // DP gradient reduction on each rank's communication stream: a chunk's
  // buckets become ready as its final backward proceeds (reverse layer order,
  // Megatron-LM --overlap-grad-reduce, PyTorch DDP), or all at the end.
  const double param_gather_s = mt.dp_param_gather_s;
  const double grad_reduce_s = std::max(0.0, mt.dp_allreduce_s - param_gather_s);
  const double bucket_s = grad_reduce_s / (static_cast<double>(v) * buckets);
  std::vector<int> sinks;
  for (int rank = 0; rank < p; ++rank) {
    int prev_comm = -1;
    if (grad_reduce_s > 0) {
      for (int chunk : chunk_finish_order[rank]) {
        const int last = last_backward_of_chunk[rank][chunk];
        for (int b = 0; b < buckets; ++b) {
          ScheduledTask t;
          t.kind = TaskKind::kGradientReduce;
          t.stage = rank;
          t.chunk = chunk;
          t.bucket = b;
          t.comm_s = bucket_s;
          const int id = g.add(t, bucket_s);
          if (mt.dp_overlap) {
            g.edge(last, id, g.duration(last) * (b + 1) / buckets);
          } else {
            g.after(last_compute[rank], id);
          }
          if (prev_comm >= 0) g.after(prev_comm, id);
          prev_comm = id;
        }
      }
    }
    ScheduledTask opt;
    opt.kind = TaskKind::kOptimizer;
    opt.stage = rank;
    const int opt_id = g.add(opt, mt.optimizer_s);
    g.after(last_compute[rank], opt_id);
    if (prev_comm >= 0) g.after(prev_comm, opt_id);
    sinks.push_back(opt_id);
    if (param_gather_s > 0) {
      ScheduledTask gather;
      gather.kind = TaskKind::kParameterGather;
      gather.stage = rank;
      gather.comm_s = param_gather_s;
      const int id = g.add(gather, param_gather_s);
      g.after(opt_id, id);
      sinks.push_back(id);
    }
  }

  // Source and sink.
  std::vector<ScheduledTask>& tasks = g.tasks();
  const int task_end = static_cast<int>(tasks.size());
  for (int id = 1; id < task_end; ++id) g.edge(0, id, 0);
  const int sink = task_end;
  for (int id : sinks) g.after(id, sink);

  Graph graph(g.edges().begin(), g.edges().end(), g.weights().begin(), task_end + 1);
  std::vector<double> start(task_end + 1);
  std::vector<Graph::vertex_descriptor> pred(task_end + 1);
  try {
    boost::dag_shortest_paths(
        graph, 0,
        boost::distance_map(start.data())
            .predecessor_map(pred.data())
            .distance_compare(std::greater<double>())
            .distance_inf(-std::numeric_limits<double>::infinity())
            .distance_zero(0.0));
  } catch (const boost::not_a_dag&) {
    throw std::logic_error("pipeline schedule deadlocks (cyclic task graph)");
  }

  IterationSchedule out;
  out.schedule = v > 1 ? PipelineSchedule::kInterleaved1F1B : PipelineSchedule::k1F1B;
  out.stages = p;
  out.chunks = v;
  out.micro_batches = m;
  out.iteration_s = start[sink];
  out.task_count = task_end - 1;
  for (int id = 1; id < task_end; ++id) {
    ScheduledTask& t = tasks[id];
    const double duration = t.end_s;
    t.start_s = start[id];
    t.end_s = t.start_s + duration;
  }
  // Critical path: from the sink back to the source along the predecessors
  // that set each start time.
  for (auto id = pred[sink]; id != 0 && id != pred[id]; id = pred[id]) tasks[id].critical = true;

  out.devices.resize(p);
  std::vector<double> ops_s(p, 0), tp_s(p, 0), send_s(p, 0), rank_pipeline_end_s(p, 0);
  for (int id = 1; id < task_end; ++id) {
    const ScheduledTask& t = tasks[id];
    DeviceTimeline& d = out.devices[t.stage];
    const bool comm_stream = t.kind == TaskKind::kGradientReduce || t.kind == TaskKind::kParameterGather;
    (comm_stream ? d.communication : d.compute).push_back(t);
    if (!is_pipeline_task(t.kind)) continue;
    d.pipeline_busy_s += t.duration_s();
    out.pipeline_s = std::max(out.pipeline_s, t.end_s);
    rank_pipeline_end_s[t.stage] = std::max(rank_pipeline_end_s[t.stage], t.end_s);
    if (t.kind == TaskKind::kForward || t.kind == TaskKind::kBackward) {
      ops_s[t.stage] += t.duration_s();
      tp_s[t.stage] += t.comm_s;
    } else {
      send_s[t.stage] += t.duration_s();
    }
  }
  auto by_start = [](const ScheduledTask& a, const ScheduledTask& b) { return a.start_s < b.start_s; };
  for (int rank = 0; rank < p; ++rank) {
    DeviceTimeline& d = out.devices[rank];
    d.stage = rank;
    std::stable_sort(d.compute.begin(), d.compute.end(), by_start);
    std::stable_sort(d.communication.begin(), d.communication.end(), by_start);
    if (d.pipeline_busy_s > out.devices[out.busiest_stage].pipeline_busy_s) out.busiest_stage = rank;
  }

  // Breakdown on the busiest rank, in the planner's categories.
  const int b = out.busiest_stage;
  planner::IterationBreakdown& br = out.breakdown;
  br.other_s = static_cast<double>(m) * v * mt.launch_overhead_s;
  br.tp_comm_s = tp_s[b];
  br.compute_s = ops_s[b] - tp_s[b] - br.other_s;
  br.pp_comm_s = send_s[b];
  br.bubble_s = std::max(0.0, out.pipeline_s - out.devices[b].pipeline_busy_s);
  br.optimizer_s = mt.optimizer_s;
  br.dp_comm_s = std::max(0.0, out.iteration_s - out.pipeline_s - mt.optimizer_s);
  out.bubble_s = br.bubble_s;
  out.bubble_fraction = ops_s[b] > 0 ? out.bubble_s / ops_s[b] : 0;
  for (int rank = 0; rank < p; ++rank) {
    const double idle_s = std::max(0.0, rank_pipeline_end_s[rank] - out.devices[rank].pipeline_busy_s);
    out.mean_rank_bubble_fraction += ops_s[rank] > 0 ? idle_s / ops_s[rank] / p : 0;
  }
  out.exposed_comm_s = br.tp_comm_s + br.pp_comm_s + br.dp_comm_s;
  return out;
}

IterationInputs iteration_inputs(const planner::StageWorkload& work,
                                 const planner::IterationEstimate& analytic) {
  IterationInputs in;
  in.micro = analytic.micro;
  in.pipeline_stages = work.layout.pp;
  const int chunks = std::max(1, work.layout.pp * work.layout.interleave);
  in.gradient_buckets_per_chunk = std::max(1, work.shape.layers / chunks);
  return in;
}

planner::IterationEstimate simulated_iteration_estimate(const planner::StageWorkload& work,
                                                        const planner::IterationEstimate& analytic,
                                                        const planner::HardwareProfile& hw) {
  const IterationSchedule schedule = simulate_iteration(iteration_inputs(work, analytic));
  planner::IterationEstimate out = analytic;
  out.breakdown = schedule.breakdown;
  planner::set_iteration_seconds(out, schedule.iteration_s, work.layout.gpus(), hw);
  return out;
}

}  // namespace sprout::simulator
