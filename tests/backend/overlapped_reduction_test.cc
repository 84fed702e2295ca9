// SPDX-License-Identifier: GPL-3.0-or-later
// Gradient all-reduce overlapped with backward (overlapped_reduction.h) on
// real Gloo ranks (threads on loopback): the buckets start during the last
// backward, and the averaged gradients equal average_gradients' bit for bit,
// a parameter without a gradient included.
#include "parallel/overlapped_reduction.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "local_ranks.h"
#include "model/gpt_model.h"
#include "parallel/gradient_buckets.h"

namespace sprout::backend {
namespace {

// Parameters of `sizes` from a generator of their own (ranks are threads),
// gradients attached to buckets of at most 400 bytes (several buckets).
struct Replica {
  std::vector<torch::Tensor> params;
  GradientBuckets buckets;
};

Replica make_replica(const std::vector<int64_t>& sizes) {
  at::Generator g = make_cpu_generator(7);
  Replica r;
  for (int64_t n : sizes) r.params.push_back(torch::randn({n}, g).set_requires_grad(true));
  r.buckets = make_gradient_buckets(r.params, 400);
  attach_gradient_buffers(r.params, r.buckets);
  return r;
}

// A chain through the parameters (the later ones nearer the loss, as in a
// network), skipping `unused`, weighted by rank-specific numbers.
torch::Tensor chain_loss(const Replica& r, const std::vector<torch::Tensor>& weights, size_t unused) {
  torch::Tensor x = torch::ones({});
  for (size_t i = 0; i < r.params.size(); ++i) {
    if (i != unused) x = x * 0.5 + (r.params[i] * weights[i]).sum();
  }
  return x;
}

TEST(OverlappedReduction, BucketsStartDuringBackwardAndAverageLikeAverageGradients) {
  const std::vector<int64_t> sizes = {70, 3, 250, 16, 9, 40};
  const size_t unused = 3;
  test::run_ranks(2, [&](Communicator& comm) {
    at::Generator g = make_cpu_generator(100 + static_cast<uint64_t>(comm.rank()));
    std::vector<torch::Tensor> weights;
    for (int64_t n : sizes) weights.push_back(torch::randn({n}, g));
    Replica overlapped = make_replica(sizes), reference = make_replica(sizes);
    ASSERT_GT(overlapped.buckets.parameters.size(), 2u);
    for (int pass = 0; pass < 2; ++pass) {  // two micro-batches; the last overlaps
      chain_loss(reference, weights, unused).backward();
      const torch::Tensor loss = chain_loss(overlapped, weights, unused);
      if (pass == 0) {
        loss.backward();
        continue;
      }
      OverlappedGradientReduction reduction(comm, overlapped.params, overlapped.buckets);
      loss.backward();
      reduction.finish();
      EXPECT_GT(reduction.buckets_started_in_backward(), 0);
    }
    average_gradients(comm, reference.params, reference.buckets);
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_TRUE(at::equal(overlapped.params[i].grad(), reference.params[i].grad())) << i;
    }
    EXPECT_EQ(overlapped.params[unused].grad().abs().sum().item<float>(), 0.0f);
  });
}

}  // namespace
}  // namespace sprout::backend
