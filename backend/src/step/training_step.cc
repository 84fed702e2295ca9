// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/training_step.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>

#include "data/batch_sampler.h"
#include "device/autocast.h"
#include "device/stopwatch.h"
#include "parallel/overlapped_reduction.h"
#include "step/gpt_forward.h"

namespace sprout::backend {

namespace {

// Overlap needs gradients living in the bucket buffers and someone to talk to.
bool overlaps_reduction(const StepSpec& spec, const Communicator& comm) {
  return spec.overlap_grad_reduce && comm.world_size() > 1 && spec.buckets && !spec.buckets->buffers.empty();
}

}  // namespace

uint64_t micro_batch_dropout_seed(const StepSpec& spec, int64_t first_sequence) {
  return splitmix64(spec.dropout_seed ^ static_cast<uint64_t>(first_sequence));
}

bool keeps_update(const StepSpec& spec, StepResult& r) {
  r.update_skipped = spec.keep_update && !spec.keep_update(r.loss);
  if (r.update_skipped) r.grad_norm = std::numeric_limits<double>::quiet_NaN();
  return !r.update_skipped;
}

StepResult train_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw, const GrowthMasks* masks,
                      const StepSpec& spec, Communicator& comm) {
  StepResult r;
  auto t = Clock::now();
  auto& params = model.parameters();
  zero_gradients(params, spec.buckets);
  double loss_sum = 0;
  std::unique_ptr<OverlappedGradientReduction> overlapped;
  for (int64_t a = 0; a < spec.accumulation; ++a) {
    // One micro-batch in flight at a time: its activations are what it holds
    // above what was held before its forward (the gradients accumulated so
    // far among that).
    const int64_t bytes_before = spec.memory ? spec.memory->begin_window() : 0;
    // Sequence numbers of this micro-batch within the global batch: ranks
    // interleave, so rank r of w takes micro-batches r, r + w, ... Its
    // dropout masks depend on that number only, so any rank count draws the
    // same masks for the same sequences.
    const int64_t first = spec.first_sequence + (a * comm.world_size() + comm.rank()) * spec.micro_batch;
    ForwardContext ctx{masks, true, micro_batch_dropout_seed(spec, first)};
    ctx.recompute = spec.recompute;
    ctx.attention = spec.attention;
    TokenBatch batch = training_batch(*spec.data, spec.seq_len, first, spec.micro_batch, spec.device);
    torch::Tensor loss;
    {
      AutocastGuard autocast(spec.bf16, spec.device);
      loss = gpt_loss(model, batch.inputs, batch.targets, ctx);
    }
    // The last backward starts each bucket's all-reduce once its gradients are final.
    if (a + 1 == spec.accumulation && overlaps_reduction(spec, comm)) {
      overlapped = std::make_unique<OverlappedGradientReduction>(comm, params, *spec.buckets);
    }
    (loss / static_cast<double>(spec.accumulation)).backward();
    loss_sum += loss.item<double>();
    if (spec.memory) {
      r.activation_peak_bytes = std::max(r.activation_peak_bytes, spec.memory->window_peak_bytes() - bytes_before);
    }
  }
  r.compute_seconds = seconds_since(t);

  t = Clock::now();
  if (overlapped) {
    // What is left of the communication after backward: its exposed part
    // (no barrier first, which would queue behind the buckets in flight).
    torch::NoGradGuard no_grad;
    overlapped->finish();
    r.overlapped_buckets = overlapped->buckets_started_in_backward();
  } else {
    // Waiting for the slowest rank is measured apart from the transfer itself
    // (costs one empty all-reduce, ~0.1 ms on loopback).
    if (comm.world_size() > 1) comm.barrier();
    r.wait_seconds = seconds_since(t);
    t = Clock::now();
    const GradientBuckets all_in_one =
        spec.buckets ? GradientBuckets{} : make_gradient_buckets(params, spec.bucket_bytes);
    average_gradients(comm, params, spec.buckets ? *spec.buckets : all_in_one);
  }
  r.exposed_comm_seconds = seconds_since(t);
  r.loss = average_scalar(comm, loss_sum / static_cast<double>(spec.accumulation));
  r.reduce_seconds = seconds_since(t);

  t = Clock::now();
  if (!keeps_update(spec, r)) return r;
  r.grad_norm = clip_grad_norm(params, spec.grad_clip);
  apply_optimizer_step(model, optimizer, adamw, spec, comm);
  r.optimizer_seconds = seconds_since(t);
  return r;
}

void apply_optimizer_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw, const StepSpec& spec,
                          Communicator& data_parallel) {
  std::vector<bool> decay;
  for (const auto& s : model.specs()) decay.push_back(s.weight_decay);
  adamw_step(model.parameters(), decay, optimizer, adamw, spec.lr);
  if (spec.sharding && spec.sharding->sharded()) {
    broadcast_parameters_from_owners(data_parallel, model.parameters(), *spec.sharding, spec.bucket_bytes);
  }
}

double evaluate(const GptModel& model, const GrowthMasks* masks, const EvalSpec& spec, Communicator& comm) {
  torch::NoGradGuard no_grad;
  ForwardContext ctx{masks, false};
  ctx.attention = spec.attention;
  const int64_t chunks = (spec.windows + spec.micro_batch - 1) / spec.micro_batch;
  double loss_sum = 0;  // of the per-window losses of this rank's chunks
  for (int64_t c = comm.rank(); c < chunks; c += comm.world_size()) {
    const int64_t first = c * spec.micro_batch;
    const int64_t count = std::min(spec.micro_batch, spec.windows - first);
    TokenBatch batch = validation_batch(*spec.data, spec.seq_len, first, count, spec.windows, spec.device);
    AutocastGuard autocast(spec.bf16, spec.device);
    loss_sum += gpt_loss(model, batch.inputs, batch.targets, ctx).item<double>() * static_cast<double>(count);
  }
  return sum_over_ranks(comm, {loss_sum})[0] / static_cast<double>(spec.windows);
}

}  // namespace sprout::backend
