// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel gradient averaging in buckets, the scheme of PyTorch DDP
// (Li et al., "PyTorch Distributed", VLDB 2020): gradients are packed into a
// few flat buffers of about `bucket_bytes` each, in reverse parameter order
// (the order backward produces them), and each buffer is one all-reduce.
// Few large collectives instead of one per tensor: the per-call latency is
// paid per bucket, and the buckets are in flight together (Gloo works on them
// in its own threads while the next one is packed).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "comm/communicator.h"

namespace sprout::backend {

struct GradientBuckets {
  // Parameter indices per bucket; every parameter in exactly one bucket, all
  // of one bucket with the same dtype and device.
  std::vector<std::vector<size_t>> parameters;
  // Per bucket, once attach_gradient_buffers ran: the flat buffer whose
  // slices are the parameters' gradients.
  std::vector<torch::Tensor> buffers;
};

// Greedy packing in reverse parameter order; a bucket closes when adding the
// next tensor would pass `bucket_bytes` (a tensor larger than that gets a
// bucket of its own) or the dtype/device changes.
GradientBuckets make_gradient_buckets(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes);

// Makes every parameter's gradient a view into its bucket's flat buffer
// (zeroed), PyTorch DDP's gradient_as_bucket_view: backward accumulates
// straight into the buffers the all-reduce works on, so nothing is packed or
// copied back. Redo it when the parameters change (growth).
void attach_gradient_buffers(std::vector<torch::Tensor>& parameters, GradientBuckets& buckets);

// Zeroes the gradients for the next step: the buffers when attached (keeping
// the views), else by dropping every gradient.
void zero_gradients(std::vector<torch::Tensor>& parameters, const GradientBuckets* buckets);

// Replaces every gradient by its mean over all ranks: sum, then divide by the
// world size (Gloo has no AVG). Attached buffers are reduced in place;
// otherwise each bucket is packed (a parameter without a gradient counts as
// zeros), reduced and copied back.
void average_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters, const GradientBuckets& buckets);

// The same without the division: every gradient in `buckets` replaced by
// its sum over the ranks (e.g. sequence-parallel partial gradients).
void sum_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters, const GradientBuckets& buckets);

}  // namespace sprout::backend
