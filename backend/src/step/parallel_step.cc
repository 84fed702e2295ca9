// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/parallel_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <stdexcept>

#include "data/batch_sampler.h"
#include "device/autocast.h"
#include "device/stopwatch.h"
#include "sprout/planner/model/pipeline_order.h"
#include "step/gpt_forward.h"

namespace sprout::backend {

void PipelineOpTimes::assign_zeros(size_t ops) {
  for (auto* s : series()) s->assign(ops, 0.0);
}

void PipelineOpTimes::add(const PipelineOpTimes& other) {
  const auto theirs = other.series();
  for (size_t k = 0; k < kSeries; ++k) {
    std::vector<double>& mine = *series()[k];
    for (size_t i = 0; i < mine.size(); ++i) mine[i] += (*theirs[k])[i];
  }
}

PipelineOpTimes PipelineOpTimes::scaled(double factor) const {
  PipelineOpTimes out = *this;
  for (auto* s : out.series()) {
    for (double& x : *s) x *= factor;
  }
  return out;
}

double PipelineOpTimes::own_seconds() const {
  double sum = 0;
  for (size_t i = 0; i < ops(); ++i) sum += forward_s[i] + backward_s[i];
  return sum;
}

namespace {

// What a micro-batch keeps between its forward and its backward.
struct InFlight {
  torch::Tensor input;   // received activation (not on the first stage)
  torch::Tensor output;  // sent activation (not on the last stage)
  torch::Tensor loss;    // last stage
};

TensorParallelContext tensor_parallel_context(const RankShare& share, ProcessGroups& groups) {
  return {groups.tensor.get(), share.position().tp, share.layout().tp, share.layout().sequence_parallel};
}

// Positions in the activations a pipeline stage sends: all of them, or this
// rank's block under sequence parallelism.
int64_t sent_positions(int64_t seq_len, const TensorParallelContext& tp) {
  return tp.splits_sequence() ? seq_len / tp.size : seq_len;
}

// Where this rank's virtual stages sit in the pipeline: chunk c of pipeline
// rank r is virtual stage c p + r (stage_layout.h); its input comes from the
// previous virtual stage (the previous rank, or the last rank's previous
// chunk) and its output goes to the next.
struct VirtualStages {
  explicit VirtualStages(const RankShare& share)
      : p(share.layout().pp), v(share.layout().interleave), rank(share.position().pp) {}
  int p, v, rank;
  int stage(int chunk) const { return chunk * p + rank; }
  bool first(int chunk) const { return stage(chunk) == 0; }
  bool last(int chunk) const { return stage(chunk) == p * v - 1; }
  int previous_rank() const { return (rank + p - 1) % p; }
  int next_rank() const { return (rank + 1) % p; }
};

// A pipeline's messages are tagged by their place among those sent from the
// same rank to the same rank (activations and gradients together), which
// both ends count: Sends for what a rank sends, AheadReceives for what it
// receives. NCCL pairs a send with a receive by that order alone and ignores
// tags; with these tags Gloo pairs them by the same order, so a receive
// posted out of the sender's order takes the wrong tensor on Gloo too, where
// the end-to-end tests see it, not only on a GPU cluster. pipeline_order
// sends every message in the order its receiver needs it
// (PipelineOrder.MessagesBetweenTwoRanksAreSentInTheOrderTheyAreNeeded).
using MessageCounts = std::map<int, int>;  // peer -> messages so far

// Async sends on one group, tagged by their order per peer; their tensors
// stay alive until they complete.
class Sends {
 public:
  explicit Sends(Communicator& group) : group_(group) {}
  void send(const torch::Tensor& t, int peer) {
    sent_.push_back(t.detach().to(torch::kFloat32).contiguous());
    pending_.push_back(group_.start_send(sent_.back(), peer, sent_to_[peer]++));
  }
  void wait() {
    for (auto& s : pending_) s->wait();
    pending_.clear();
    sent_.clear();
  }

 private:
  Communicator& group_;
  MessageCounts sent_to_;
  std::vector<torch::Tensor> sent_;
  std::vector<std::unique_ptr<PendingCollective>> pending_;
};

// Where fp32 activations or gradients [batch, positions, hidden] are
// received, on the training device (Gloo: the CPU; NCCL: the GPU).
torch::Tensor activation_buffer(int64_t batch, int64_t positions, int64_t hidden, torch::Device device) {
  return torch::empty({batch, positions, hidden}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

// The receives of a pipeline rank, posted kAhead ahead of the ops that need
// them, as Megatron-LM posts the next one with the current send: Gloo's
// send/recv is a rendezvous, and a message sent before its receive is posted
// waits for a round trip through the sender's I/O thread (3-5 ms here, with
// both ranks blocked, in the interleaved schedule). Memory: kAhead
// activations.
class AheadReceives {
 public:
  struct Expected {
    int peer = 0;
    int64_t batch = 0;  // sequences
  };
  static constexpr size_t kAhead = 2;

  AheadReceives(Communicator& group, int64_t positions, int64_t hidden, torch::Device device)
      : group_(group), positions_(positions), hidden_(hidden), device_(device) {}

  // The next receive the rank will need (call in the order of the ops): its
  // tag is its place among the messages from that peer.
  void expect(const Expected& e) { expected_.push_back({e, received_from_[e.peer]++}); }
  // Posts receives until kAhead are outstanding.
  void post() {
    while (next_ < expected_.size() && posted_.size() < kAhead) {
      const auto& [e, tag] = expected_[next_++];
      torch::Tensor t = activation_buffer(e.batch, positions_, hidden_, device_);
      auto pending = group_.start_recv(t, e.peer, tag);
      posted_.push_back({t, std::move(pending)});
    }
  }
  // The oldest posted receive's tensor, once it has arrived (post() again
  // afterwards to keep kAhead outstanding).
  torch::Tensor wait_oldest() {
    Posted r = std::move(posted_.front());
    posted_.pop_front();
    r.pending->wait();
    return r.buffer;
  }

 private:
  struct Posted {
    torch::Tensor buffer;
    std::unique_ptr<PendingCollective> pending;
  };
  Communicator& group_;
  int64_t positions_, hidden_;
  torch::Device device_;
  MessageCounts received_from_;
  std::vector<std::pair<Expected, int>> expected_;  // with its tag
  size_t next_ = 0;                                 // the first not yet posted
  std::deque<Posted> posted_;
};

class Pipeline {
 public:
  Pipeline(const GptModel& model, const GrowthMasks* masks, const StepSpec& spec, const RankShare& share,
           ProcessGroups& groups)
      : model_(model),
        spec_(spec),
        share_(share),
        groups_(groups),
        vs_(share),
        in_flight_(static_cast<size_t>(spec.accumulation * vs_.v)),
        sends_(*groups.pipeline),
        receives_(*groups.pipeline, sent_positions(spec.seq_len, tensor_parallel_context(share, groups)),
                  model.shape().hidden, spec.device) {
    times_.assign_zeros(in_flight_.size());
    ctx_.masks = masks;
    ctx_.training = true;
    ctx_.tp = tensor_parallel_context(share, groups);
    ctx_.recompute = spec.recompute;
    ctx_.attention = spec.attention;
  }

  void run() {
    const auto start = Clock::now();
    const auto order = planner::pipeline_order(vs_.rank, vs_.p, vs_.v, static_cast<int>(spec_.accumulation));
    for (const auto& op : order) {
      // What each op receives, and from whom, in the order the ops run.
      if (op.forward && !vs_.first(op.chunk)) {
        receives_.expect({vs_.previous_rank(), spec_.micro_batch});
      } else if (!op.forward && !vs_.last(op.chunk)) {
        receives_.expect({vs_.next_rank(), spec_.micro_batch});
      }
    }
    lap_start_ = Clock::now();
    timed_p2p([&] { receives_.post(); });
    for (const auto& op : order) {
      if (op.forward) {
        forward(op.micro_batch, op.chunk);
      } else {
        backward(op.micro_batch, op.chunk);
      }
    }
    sends_.wait();
    span_seconds_ = seconds_since(start);
  }

  double loss_sum() const { return loss_sum_; }
  double wait_seconds() const { return wait_seconds_; }
  double span_seconds() const { return span_seconds_; }
  // This rank's ops, micro-batch mb of chunk c at c m + mb.
  const PipelineOpTimes& times() const { return times_; }

 private:
  // The input of the op about to run (its receive is the oldest posted).
  torch::Tensor timed_receive() {
    const auto start = Clock::now();
    torch::Tensor t = receives_.wait_oldest();
    op_wait_seconds_ = seconds_since(start);
    wait_seconds_ += op_wait_seconds_;
    timed_p2p([&] { receives_.post(); });
    return t;
  }

  // Posting a send or a receive can block (Gloo locks the pair its I/O
  // thread is using; on this 2-vCPU machine milliseconds at a time): that
  // time is neither the op's nor a bubble, and the DAG replays it as the
  // op's send (pipeline_bubble.h).
  template <typename Call>
  void timed_p2p(Call&& call) {
    const auto start = Clock::now();
    call();
    op_p2p_seconds_ += seconds_since(start);
  }

  // An op's time runs from the previous op's send (or end) to its own send
  // (or end), less the wait for its input and the p2p calls: the ops, their
  // p2p calls and the waits add up to the step's pipeline time, and each op
  // ends where its output leaves, as in the DAG that replays them (work
  // after a send, such as freeing the autograd graph, counts towards the
  // next op). Sets `p2p_seconds` to the op's p2p calls.
  double lap(double& p2p_seconds) {
    const double seconds = seconds_since(lap_start_) - op_wait_seconds_ - op_p2p_seconds_;
    p2p_seconds = op_p2p_seconds_;
    lap_start_ = Clock::now();
    op_wait_seconds_ = op_p2p_seconds_ = 0;
    return seconds;
  }

  size_t op_index(int mb, int chunk) const { return static_cast<size_t>(chunk * spec_.accumulation + mb); }
  InFlight& slot(int mb, int chunk) { return in_flight_[op_index(mb, chunk)]; }

  void forward(int mb, int chunk) {
    InFlight& f = slot(mb, chunk);
    const bool first = vs_.first(chunk), last = vs_.last(chunk);
    // Micro-batch mb of this data-parallel rank: the same sequences (and
    // order) as the data-parallel trainer uses (training_step.cc).
    const int64_t first_sequence =
        spec_.first_sequence + (mb * share_.layout().dp + share_.position().dp) * spec_.micro_batch;
    // The input first: all of the op's own work comes after it, as in the
    // DAG that replays the ops (work before the wait would overlap it).
    torch::Tensor x;
    if (!first) f.input = x = timed_receive().set_requires_grad(true);
    TokenBatch batch;
    if (first || last) {
      batch = training_batch(*spec_.data, spec_.seq_len, first_sequence, spec_.micro_batch, spec_.device);
    }
    ctx_.dropout_seed = micro_batch_dropout_seed(spec_, first_sequence);
    {
      AutocastGuard autocast(spec_.bf16, spec_.device);
      if (first) x = gpt_embed(model_, batch.inputs, ctx_);
      x = gpt_blocks(model_, x, layers_of_virtual_stage(share_.layout(), vs_.stage(chunk)), ctx_);
      if (last) f.loss = gpt_cross_entropy(gpt_head_logits(model_, x, ctx_), batch.targets, ctx_);
    }
    if (last) {
      loss_sum_ += f.loss.item<double>();
    } else {
      f.output = x;
      timed_p2p([&] { sends_.send(x, vs_.next_rank()); });
    }
    times_.forward_s[op_index(mb, chunk)] = lap(times_.forward_p2p_s[op_index(mb, chunk)]);
  }

  void backward(int mb, int chunk) {
    InFlight& f = slot(mb, chunk);
    torch::Tensor grad;
    if (!vs_.last(chunk)) {
      grad = timed_receive().to(f.output.scalar_type());
    }
    if (vs_.last(chunk)) {
      (f.loss / static_cast<double>(spec_.accumulation)).backward();
    } else {
      f.output.backward(grad);
    }
    if (!vs_.first(chunk)) {
      timed_p2p([&] { sends_.send(f.input.grad(), vs_.previous_rank()); });
    }
    times_.backward_s[op_index(mb, chunk)] = lap(times_.backward_p2p_s[op_index(mb, chunk)]);
    f = InFlight{};
  }

  const GptModel& model_;
  const StepSpec& spec_;
  const RankShare& share_;
  ProcessGroups& groups_;
  VirtualStages vs_;
  ForwardContext ctx_;
  std::vector<InFlight> in_flight_;  // per (micro-batch, chunk)
  Sends sends_;
  AheadReceives receives_;
  double loss_sum_ = 0;
  double wait_seconds_ = 0, span_seconds_ = 0;
  double op_wait_seconds_ = 0;   // of the op running now
  double op_p2p_seconds_ = 0;    // of the op running now
  Clock::time_point lap_start_;  // where the op running now began (lap())
  PipelineOpTimes times_;        // by op_index
};

// The global gradient norm over the whole model (each parameter counted
// once: counts_parameter), and every rank's gradients scaled by the same
// clip coefficient as clip_grad_norm would.
double clip_global_grad_norm(ModelPart& part, const RankShare& share, Communicator& world, double max_norm) {
  torch::NoGradGuard no_grad;
  auto& params = part.model.parameters();
  double sum_sq = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].grad().defined() && counts_parameter(part, i, share)) {
      sum_sq += params[i].grad().to(torch::kFloat64).square().sum().item<double>();
    }
  }
  const double total = std::sqrt(sum_over_ranks(world, {sum_sq})[0]);
  scale_gradients(params, total, max_norm);
  return total;
}

}  // namespace

double parallel_evaluate(const ModelPart& part, const GrowthMasks* masks, const EvalSpec& spec, const RankShare& share,
                         ProcessGroups& groups) {
  torch::NoGradGuard no_grad;
  ForwardContext ctx{masks, false};
  ctx.tp = tensor_parallel_context(share, groups);
  ctx.attention = spec.attention;
  const VirtualStages vs(share);
  const int dp = share.layout().dp;
  const int64_t batches = (spec.windows + spec.micro_batch - 1) / spec.micro_batch;
  double loss_sum = 0;  // of the per-window losses of this pipeline's batches
  Sends sends(*groups.pipeline);
  AheadReceives receives(*groups.pipeline, sent_positions(spec.seq_len, ctx.tp), part.model.shape().hidden,
                         spec.device);
  auto windows_of = [&](int64_t b) { return std::min(spec.micro_batch, spec.windows - b * spec.micro_batch); };
  for (int64_t b = share.position().dp; b < batches; b += dp) {
    for (int chunk = 0; chunk < vs.v; ++chunk) {
      if (!vs.first(chunk)) {
        receives.expect({vs.previous_rank(), windows_of(b)});
      }
    }
  }
  receives.post();
  for (int64_t b = share.position().dp; b < batches; b += dp) {
    const int64_t begin = b * spec.micro_batch;
    const int64_t count = windows_of(b);
    const TokenBatch batch = validation_batch(*spec.data, spec.seq_len, begin, count, spec.windows, spec.device);
    for (int chunk = 0; chunk < vs.v; ++chunk) {  // forward through the virtual stages in order
      AutocastGuard autocast(spec.bf16, spec.device);
      torch::Tensor x;
      if (vs.first(chunk)) {
        x = gpt_embed(part.model, batch.inputs, ctx);
      } else {
        x = receives.wait_oldest();
        receives.post();
      }
      x = gpt_blocks(part.model, x, layers_of_virtual_stage(share.layout(), vs.stage(chunk)), ctx);
      if (vs.last(chunk)) {
        loss_sum += gpt_cross_entropy(gpt_head_logits(part.model, x, ctx), batch.targets, ctx).item<double>() *
                    static_cast<double>(count);
      } else {
        sends.send(x, vs.next_rank());
      }
    }
  }
  sends.wait();
  const bool reports = share.holds_head() && share.position().tp == 0;
  return sum_over_ranks(*groups.world, {reports ? loss_sum : 0.0})[0] / static_cast<double>(spec.windows);
}

double measure_pipeline_p2p_seconds(const RankShare& share, ProcessGroups& groups, int64_t micro_batch, int64_t seq_len,
                                    int64_t hidden, torch::Device device, int round_trips) {
  const VirtualStages vs(share);
  double one_way_s = 0, pairs = 0;
  if (vs.p > 1) {
    const bool initiator = vs.rank % 2 == 0 && vs.rank + 1 < vs.p, responder = vs.rank % 2 == 1;
    const int partner = initiator ? vs.rank + 1 : vs.rank - 1;
    // Every receive is posted before the message it waits for is sent, as
    // the pipeline posts them ahead (otherwise Gloo's rendezvous adds a round
    // trip through the sender's I/O thread, which the pipeline never pays).
    const int64_t positions = sent_positions(seq_len, tensor_parallel_context(share, groups));
    const torch::Tensor ping = activation_buffer(micro_batch, positions, hidden, device).zero_();
    Sends sends(*groups.pipeline);
    AheadReceives receives(*groups.pipeline, positions, hidden, device);
    std::vector<double> round_trip_s;
    if (initiator || responder) {
      for (int i = 0; i <= round_trips; ++i) receives.expect({partner, micro_batch});
      receives.post();
    }
    for (int i = 0; i <= round_trips && (initiator || responder); ++i) {
      const auto start = Clock::now();
      if (initiator) {
        sends.send(ping, partner);
        receives.wait_oldest();
        if (i > 0) round_trip_s.push_back(seconds_since(start));  // the first one connects
      } else {
        sends.send(receives.wait_oldest(), partner);  // the message straight back
      }
      receives.post();
    }
    sends.wait();
    if (!round_trip_s.empty()) {
      std::nth_element(round_trip_s.begin(), round_trip_s.begin() + round_trip_s.size() / 2, round_trip_s.end());
      one_way_s = round_trip_s[round_trip_s.size() / 2] / 2;
      pairs = 1;
    }
  }
  const std::vector<double> sums = sum_over_ranks(*groups.world, {one_way_s, pairs});
  return sums[1] > 0 ? sums[0] / sums[1] : 0.0;
}

ParallelStepResult parallel_train_step(ModelPart& part, const AdamWSettings& adamw, const GrowthMasks* masks,
                                       const StepSpec& spec, const RankShare& share, ProcessGroups& groups) {
  ParallelStepResult out;
  StepResult& r = out.step;
  Communicator& world = *groups.world;
  auto& params = part.model.parameters();
  auto t = Clock::now();
  zero_gradients(params, spec.buckets);
  const int64_t bytes_before = spec.memory ? spec.memory->begin_window() : 0;
  Pipeline pipeline(part.model, masks, spec, share, groups);
  pipeline.run();
  if (spec.memory) r.activation_peak_bytes = spec.memory->window_peak_bytes() - bytes_before;
  r.compute_seconds = seconds_since(t);

  t = Clock::now();
  world.barrier();
  r.wait_seconds = seconds_since(t);

  t = Clock::now();
  const RankPosition& pos = share.position();
  if (tensor_parallel_context(share, groups).splits_sequence()) sum_sequence_parallel_gradients(part, *groups.tensor);
  if (share.layout().dp > 1) average_gradients(*groups.data, params, *spec.buckets);
  if (groups.embedding && part.model.shape().tied_embeddings) {
    // The tied embedding lives on the first and the last stage; its gradient
    // is the sum of both uses (Megatron-LM's embedding group).
    torch::Tensor& wte = params[part.model.index_of("wte")];
    std::vector<torch::Tensor> g = {wte.mutable_grad()};
    groups.embedding->all_reduce_sum(g);
  }
  const bool reports_loss = share.holds_head() && pos.tp == 0;
  const double loss = reports_loss ? pipeline.loss_sum() / static_cast<double>(spec.accumulation) : 0.0;
  // Per-rank statistics, summed over the world, then averaged. The bubble
  // as Narayanan et al. 2021 and simulate_iteration define it: idle time
  // relative to the rank's own op time ((p - 1) / (v m) for uniform stages):
  // the time blocked in receives over the ops' own time (p2p calls are
  // neither).
  const VirtualStages vs(share);
  const PipelineOpTimes& mine = pipeline.times();
  std::vector<double> stats = {loss, pipeline.wait_seconds() / std::max(1e-12, mine.own_seconds())};
  // Then each series of every op of the pipeline, this rank's ops at their
  // virtual stage's places (chunk c's at virtual stage c p + rank).
  const size_t m = static_cast<size_t>(spec.accumulation);
  const size_t ops = static_cast<size_t>(vs.p * vs.v) * m;
  stats.resize(2 + PipelineOpTimes::kSeries * ops, 0.0);
  for (size_t k = 0; k < PipelineOpTimes::kSeries; ++k) {
    const std::vector<double>& local = *mine.series()[k];
    for (size_t i = 0; i < local.size(); ++i) {
      const size_t chunk = i / m, mb = i % m;
      stats[2 + k * ops + static_cast<size_t>(vs.stage(static_cast<int>(chunk))) * m + mb] = local[i];
    }
  }
  stats = sum_over_ranks(world, stats);
  const double ranks = world.world_size(), per_stage = ranks / vs.p;
  r.loss = stats[0] / share.layout().dp;
  out.bubble_fraction = stats[1] / ranks;
  for (size_t k = 0; k < PipelineOpTimes::kSeries; ++k) {
    std::vector<double>& all = *out.ops.series()[k];
    for (size_t op = 0; op < ops; ++op) all.push_back(stats[2 + k * ops + op] / per_stage);
  }
  r.reduce_seconds = seconds_since(t);

  t = Clock::now();
  if (!keeps_update(spec, r)) return out;
  r.grad_norm = clip_global_grad_norm(part, share, world, spec.grad_clip);
  apply_optimizer_step(part.model, part.optimizer, adamw, spec, *groups.data);  // ZeRO-1 over the DP group
  r.optimizer_seconds = seconds_since(t);
  return out;
}

}  // namespace sprout::backend
