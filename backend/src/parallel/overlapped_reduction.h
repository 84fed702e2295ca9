// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel gradient averaging overlapped with backward, as PyTorch DDP's
// reducer does it (Li et al., "PyTorch Distributed", VLDB 2020, sec. 3.2.3):
// a post-hook on every parameter's gradient accumulator counts the gradients
// its bucket (gradient_buckets.h) still waits for; the hook that completes a
// bucket starts that bucket's all-reduce (Communicator::
// start_all_reduce_sum) while backward goes on with the layers before it.
// Buckets are in reverse parameter order, the order backward completes them;
// like DDP, buckets start strictly in index order (a ready bucket waits for
// the ones before it), so every rank issues the same collectives in the same
// order whatever order its hooks fire in.
// What is left after backward (waiting, and the division by the world size)
// is the exposed communication time of the step.
//
// The reduced values are those of average_gradients: the same all-reduce of
// the same buffers, each started once its gradients are final. Used for the
// last micro-batch's backward only (earlier ones still accumulate), with
// ZeRO-1 alike (all-reduce, then each rank updates its share).
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "parallel/gradient_buckets.h"

namespace sprout::backend {

class OverlappedGradientReduction {
 public:
  // Hooks the gradient accumulators of `parameters`, whose gradients must be
  // views into `buckets`' buffers (attach_gradient_buffers). Construct it
  // after the last micro-batch's forward and before its backward.
  OverlappedGradientReduction(Communicator& comm, const std::vector<torch::Tensor>& parameters,
                              const GradientBuckets& buckets);
  ~OverlappedGradientReduction();  // removes the hooks
  OverlappedGradientReduction(const OverlappedGradientReduction&) = delete;
  OverlappedGradientReduction& operator=(const OverlappedGradientReduction&) = delete;

  // After backward: starts the buckets no hook completed (a parameter that
  // got no gradient this step), waits for every all-reduce and divides the
  // buffers by the world size.
  void finish();

  // How many buckets a hook started during backward (the rest started in finish).
  int buckets_started_in_backward() const;

  struct State;  // shared with the hooks
  struct Hooks;  // the hooked accumulators and the hooks' keys

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Hooks> hooks_;
};

}  // namespace sprout::backend
