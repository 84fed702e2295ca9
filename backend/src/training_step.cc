// SPDX-License-Identifier: GPL-3.0-or-later
#include "training_step.h"

#include "autocast.h"
#include "sprout/backend/batch_sampler.h"
#include "sprout/backend/gpt_forward.h"

namespace sprout::backend {

StepResult train_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw,
                      const GrowthMasks* masks, const StepSpec& spec, Communicator& comm,
                      at::Generator& dropout_generator) {
  auto& params = model.parameters();
  for (auto& p : params) p.mutable_grad().reset();
  ForwardContext ctx{masks, true, &dropout_generator};
  double loss_sum = 0;
  for (int64_t a = 0; a < spec.accumulation; ++a) {
    // Sequence numbers of this micro-batch within the global batch: ranks
    // interleave, so rank r of w takes micro-batches r, r + w, ...
    const int64_t first = spec.first_sequence + (a * comm.world_size() + comm.rank()) * spec.micro_batch;
    TokenBatch batch = training_batch(*spec.shard, spec.seq_len, spec.data_seed, first, spec.micro_batch, spec.device);
    torch::Tensor loss;
    {
      AutocastGuard autocast(spec.bf16, spec.device);
      loss = gpt_loss(model, batch.inputs, batch.targets, ctx);
    }
    (loss / static_cast<double>(spec.accumulation)).backward();
    loss_sum += loss.item<double>();
  }
  average_gradients(comm, params);
  StepResult r;
  r.loss = average_scalar(comm, loss_sum / static_cast<double>(spec.accumulation));
  r.grad_norm = clip_grad_norm(params, spec.grad_clip);
  std::vector<bool> decay;
  for (const auto& s : model.specs()) decay.push_back(s.weight_decay);
  adamw_step(params, decay, optimizer, adamw, spec.lr);
  return r;
}

double evaluate(const GptModel& model, const GrowthMasks* masks, const EvalSpec& spec, Communicator& comm) {
  torch::NoGradGuard no_grad;
  ForwardContext ctx{masks, false, nullptr};
  const int64_t total_windows = spec.batches * spec.micro_batch;
  double sum = 0;
  int64_t count = 0;
  // Ranks split the fixed windows; each averages its share, then all average.
  for (int64_t b = comm.rank(); b < spec.batches; b += comm.world_size()) {
    TokenBatch batch = validation_batch(*spec.shard, spec.seq_len, b * spec.micro_batch, spec.micro_batch,
                                        total_windows, spec.device);
    AutocastGuard autocast(spec.bf16, spec.device);
    sum += gpt_loss(model, batch.inputs, batch.targets, ctx).item<double>();
    ++count;
  }
  return average_scalar(comm, count > 0 ? sum / static_cast<double>(count) : 0.0);
}

}  // namespace sprout::backend
