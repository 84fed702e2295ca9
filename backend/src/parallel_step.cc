// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel_step.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "autocast.h"
#include "sprout/backend/batch_sampler.h"
#include "sprout/backend/gpt_forward.h"
#include "sprout/planner/pipeline_order.h"

namespace sprout::backend {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What a micro-batch keeps between its forward and its backward.
struct InFlight {
  torch::Tensor input;   // received activation (not on the first stage)
  torch::Tensor output;  // sent activation (not on the last stage)
  torch::Tensor loss;    // last stage
};

// Send/receive tags: one forward and one backward message per micro-batch.
int forward_tag(int micro_batch) { return 2 * micro_batch; }
int backward_tag(int micro_batch) { return 2 * micro_batch + 1; }

TensorParallelContext tensor_parallel_context(const RankShare& share, ProcessGroups& groups) {
  return {groups.tensor.get(), share.position().tp, share.layout().tp};
}

class Pipeline {
 public:
  Pipeline(const GptModel& model, const GrowthMasks* masks, const StepSpec& spec, const RankShare& share,
           ProcessGroups& groups)
      : model_(model), spec_(spec), share_(share), groups_(groups),
        stage_(share.position().pp), stages_(share.layout().pp),
        layers_(layers_of_virtual_stage(share.layout(), share.position().pp)),
        in_flight_(static_cast<size_t>(spec.accumulation)) {
    ctx_.masks = masks;
    ctx_.training = true;
    ctx_.tp = tensor_parallel_context(share, groups);
  }

  void run() {
    const auto start = Clock::now();
    for (const auto& op : planner::pipeline_order(stage_, stages_, 1, static_cast<int>(spec_.accumulation))) {
      if (op.forward) {
        forward(op.micro_batch);
      } else {
        backward(op.micro_batch);
      }
    }
    for (auto& s : sends_) s->wait();
    span_seconds_ = seconds_since(start);
  }

  double loss_sum() const { return loss_sum_; }
  double wait_seconds() const { return wait_seconds_; }
  double span_seconds() const { return span_seconds_; }
  double forward_seconds() const { return forward_seconds_; }
  double backward_seconds() const { return backward_seconds_; }

 private:
  bool first() const { return stage_ == 0; }
  bool last() const { return stage_ == stages_ - 1; }

  torch::Tensor receive(int peer, int tag) {
    // fp32 on the training device (Gloo: the CPU; NCCL: the GPU).
    torch::Tensor t = torch::empty({spec_.micro_batch, spec_.seq_len, model_.shape().hidden},
                                   torch::TensorOptions().dtype(torch::kFloat32).device(spec_.device));
    const auto start = Clock::now();
    groups_.pipeline->start_recv(t, peer, tag)->wait();
    wait_seconds_ += seconds_since(start);
    return t;
  }

  void send(const torch::Tensor& t, int peer, int tag) {
    sent_.push_back(t.detach().to(torch::kFloat32).contiguous());
    sends_.push_back(groups_.pipeline->start_send(sent_.back(), peer, tag));
  }

  void forward(int mb) {
    InFlight& f = in_flight_[static_cast<size_t>(mb)];
    // Micro-batch mb of this data-parallel rank: the same sequences (and
    // order) as the data-parallel trainer uses (training_step.cc).
    const int64_t first_sequence =
        spec_.first_sequence + (mb * share_.layout().dp + share_.position().dp) * spec_.micro_batch;
    torch::Tensor x;
    TokenBatch batch;
    if (first() || last()) {
      batch = training_batch(*spec_.shard, spec_.seq_len, spec_.data_seed, first_sequence, spec_.micro_batch,
                             spec_.device);
    }
    if (!first()) f.input = x = receive(stage_ - 1, forward_tag(mb)).set_requires_grad(true);
    const auto start = Clock::now();
    {
      AutocastGuard autocast(spec_.bf16, spec_.device);
      if (first()) x = gpt_embed(model_, batch.inputs, ctx_);
      x = gpt_blocks(model_, x, layers_, ctx_);
      if (last()) f.loss = gpt_cross_entropy(gpt_head_logits(model_, x, ctx_), batch.targets, ctx_);
    }
    forward_seconds_ += seconds_since(start);
    if (last()) {
      loss_sum_ += f.loss.item<double>();
    } else {
      f.output = x;
      send(x, stage_ + 1, forward_tag(mb));
    }
  }

  void backward(int mb) {
    InFlight& f = in_flight_[static_cast<size_t>(mb)];
    torch::Tensor grad;
    if (!last()) grad = receive(stage_ + 1, backward_tag(mb)).to(f.output.scalar_type());
    const auto start = Clock::now();
    if (last()) {
      (f.loss / static_cast<double>(spec_.accumulation)).backward();
    } else {
      f.output.backward(grad);
    }
    backward_seconds_ += seconds_since(start);
    if (!first()) send(f.input.grad(), stage_ - 1, backward_tag(mb));
    f = InFlight{};
  }

  const GptModel& model_;
  const StepSpec& spec_;
  const RankShare& share_;
  ProcessGroups& groups_;
  int stage_, stages_;
  LayerRange layers_;
  ForwardContext ctx_;
  std::vector<InFlight> in_flight_;
  std::vector<torch::Tensor> sent_;  // alive until their sends complete
  std::vector<std::unique_ptr<PendingCollective>> sends_;
  double loss_sum_ = 0;
  double wait_seconds_ = 0, span_seconds_ = 0, forward_seconds_ = 0, backward_seconds_ = 0;
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

double parallel_evaluate(const ModelPart& part, const GrowthMasks* masks, const EvalSpec& spec,
                         const RankShare& share, ProcessGroups& groups) {
  torch::NoGradGuard no_grad;
  ForwardContext ctx{masks, false, nullptr};
  ctx.tp = tensor_parallel_context(share, groups);
  const RankPosition& pos = share.position();
  const int stages = share.layout().pp, dp = share.layout().dp;
  const bool first = pos.pp == 0, last = pos.pp == stages - 1;
  const LayerRange layers = layers_of_virtual_stage(share.layout(), pos.pp);
  const int64_t chunks = (spec.windows + spec.micro_batch - 1) / spec.micro_batch;
  double loss_sum = 0;  // of the per-window losses of this pipeline's chunks
  for (int64_t c = pos.dp; c < chunks; c += dp) {
    const int64_t begin = c * spec.micro_batch;
    const int64_t count = std::min(spec.micro_batch, spec.windows - begin);
    const int tag = static_cast<int>(c);
    TokenBatch batch;
    if (first || last) batch = validation_batch(*spec.shard, spec.seq_len, begin, count, spec.windows, spec.device);
    AutocastGuard autocast(spec.bf16, spec.device);
    torch::Tensor x;
    if (first) {
      x = gpt_embed(part.model, batch.inputs, ctx);
    } else {
      x = torch::empty({count, spec.seq_len, part.model.shape().hidden},
                       torch::TensorOptions().dtype(torch::kFloat32).device(spec.device));
      groups.pipeline->start_recv(x, pos.pp - 1, tag)->wait();
    }
    x = gpt_blocks(part.model, x, layers, ctx);
    if (last) {
      loss_sum += gpt_cross_entropy(gpt_head_logits(part.model, x, ctx), batch.targets, ctx).item<double>() *
                  static_cast<double>(count);
    } else {
      const torch::Tensor out = x.to(torch::kFloat32).contiguous();
      groups.pipeline->start_send(out, pos.pp + 1, tag)->wait();
    }
  }
  const bool reports = last && pos.tp == 0;
  return sum_over_ranks(*groups.world, {reports ? loss_sum : 0.0})[0] / static_cast<double>(spec.windows);
}

ParallelStepResult parallel_train_step(ModelPart& part, const AdamWSettings& adamw, const GrowthMasks* masks,
                                       const StepSpec& spec, const RankShare& share, ProcessGroups& groups) {
  ParallelStepResult out;
  StepResult& r = out.step;
  Communicator& world = *groups.world;
  auto& params = part.model.parameters();
  auto t = Clock::now();
  zero_gradients(params, spec.buckets);
  Pipeline pipeline(part.model, masks, spec, share, groups);
  pipeline.run();
  r.compute_seconds = seconds_since(t);

  t = Clock::now();
  world.barrier();
  r.wait_seconds = seconds_since(t);

  t = Clock::now();
  const RankPosition& pos = share.position();
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
  const int p = share.layout().pp;
  // Per-rank statistics, summed over the world, then averaged.
  // The bubble as Narayanan et al. 2021 and simulate_iteration define it:
  // idle time relative to the rank's own op time ((p - 1) / m for 1F1B).
  const double busy = std::max(1e-12, pipeline.span_seconds() - pipeline.wait_seconds());
  std::vector<double> stats = {loss, pipeline.wait_seconds() / busy};
  for (int s = 0; s < p; ++s) {
    stats.push_back(s == pos.pp ? pipeline.forward_seconds() / static_cast<double>(spec.accumulation) : 0.0);
    stats.push_back(s == pos.pp ? pipeline.backward_seconds() / static_cast<double>(spec.accumulation) : 0.0);
  }
  stats = sum_over_ranks(world, stats);
  const double ranks = world.world_size(), per_stage = ranks / p;
  r.loss = stats[0] / share.layout().dp;
  out.bubble_fraction = stats[1] / ranks;
  for (int s = 0; s < p; ++s) {
    out.forward_s_by_stage.push_back(stats[2 + 2 * static_cast<size_t>(s)] / per_stage);
    out.backward_s_by_stage.push_back(stats[3 + 2 * static_cast<size_t>(s)] / per_stage);
  }
  r.reduce_seconds = seconds_since(t);

  t = Clock::now();
  r.grad_norm = clip_global_grad_norm(part, share, world, spec.grad_clip);
  std::vector<bool> decay;
  for (const auto& s : part.model.specs()) decay.push_back(s.weight_decay);
  adamw_step(params, decay, part.optimizer, adamw, spec.lr);
  if (spec.sharding && spec.sharding->sharded()) {
    // ZeRO-1 over the data-parallel group (optimizer_sharding.h).
    broadcast_parameters_from_owners(*groups.data, params, *spec.sharding, spec.bucket_bytes);
  }
  r.optimizer_seconds = seconds_since(t);
  return out;
}

}  // namespace sprout::backend
