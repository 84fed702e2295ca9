// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/overlapped_reduction.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <mutex>
#include <stdexcept>
#include <utility>

namespace sprout::backend {

struct OverlappedGradientReduction::State {
  Communicator* comm = nullptr;
  std::vector<torch::Tensor> buffers;
  std::vector<size_t> waiting;                              // per bucket: gradients not yet accumulated
  std::vector<std::unique_ptr<PendingCollective>> pending;  // per bucket, once started
  size_t next_to_start = 0;
  int started_in_backward = 0;
  std::mutex mutex;  // hooks may run on the autograd engine's device threads

  // Starts every bucket from next_to_start on that is ready (or all, `force`).
  void start_ready(bool force) {
    for (; next_to_start < buffers.size() && (force || waiting[next_to_start] == 0); ++next_to_start) {
      std::vector<torch::Tensor> one = {buffers[next_to_start]};
      pending[next_to_start] = comm->start_all_reduce_sum(one);
      if (!force) ++started_in_backward;
    }
  }

  void gradient_ready(size_t bucket) {
    std::lock_guard<std::mutex> lock(mutex);
    if (waiting[bucket] > 0 && --waiting[bucket] == 0) start_ready(false);
  }
};

struct OverlappedGradientReduction::Hooks {
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;
  std::vector<uintptr_t> keys;
};

namespace {

// Runs after AccumulateGrad added the parameter's gradient (the engine calls
// a node's post hooks once its function returned).
struct BucketReadyHook final : torch::autograd::FunctionPostHook {
  BucketReadyHook(std::shared_ptr<OverlappedGradientReduction::State> s, size_t b) : state(std::move(s)), bucket(b) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    state->gradient_ready(bucket);
    return outputs;
  }
  std::shared_ptr<OverlappedGradientReduction::State> state;
  size_t bucket;
};

}  // namespace

OverlappedGradientReduction::OverlappedGradientReduction(Communicator& comm,
                                                         const std::vector<torch::Tensor>& parameters,
                                                         const GradientBuckets& buckets)
    : state_(std::make_shared<State>()), hooks_(std::make_unique<Hooks>()) {
  if (buckets.buffers.size() != buckets.parameters.size()) {
    throw std::logic_error("overlapped gradient reduction needs gradients attached to the bucket buffers");
  }
  state_->comm = &comm;
  state_->buffers = buckets.buffers;
  state_->pending.resize(buckets.parameters.size());
  state_->waiting.assign(buckets.parameters.size(), 0);
  for (size_t b = 0; b < buckets.parameters.size(); ++b) {
    for (size_t i : buckets.parameters[b]) {
      // Alive while this forward's graph holds it; a parameter outside the
      // graph gets no gradient and is not waited for.
      std::shared_ptr<torch::autograd::Node> node = torch::autograd::impl::try_get_grad_accumulator(parameters[i]);
      if (!node) continue;
      ++state_->waiting[b];
      hooks_->keys.push_back(node->add_post_hook(std::make_unique<BucketReadyHook>(state_, b)));
      hooks_->accumulators.push_back(std::move(node));
    }
  }
}

OverlappedGradientReduction::~OverlappedGradientReduction() {
  for (size_t i = 0; i < hooks_->accumulators.size(); ++i) hooks_->accumulators[i]->del_post_hook(hooks_->keys[i]);
}

void OverlappedGradientReduction::finish() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->start_ready(/*force=*/true);
  }
  const double ranks = static_cast<double>(state_->comm->world_size());
  for (size_t b = 0; b < state_->buffers.size(); ++b) {
    state_->pending[b]->wait();
    state_->buffers[b].div_(ranks);
  }
}

int OverlappedGradientReduction::buckets_started_in_backward() const { return state_->started_in_backward; }

}  // namespace sprout::backend
