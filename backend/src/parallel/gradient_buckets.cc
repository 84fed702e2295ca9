// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/gradient_buckets.h"

namespace sprout::backend {
namespace {

int64_t bytes_of(const torch::Tensor& t) { return t.numel() * static_cast<int64_t>(t.element_size()); }

}  // namespace

GradientBuckets make_gradient_buckets(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes) {
  GradientBuckets b;
  int64_t filled = 0;
  for (size_t k = parameters.size(); k-- > 0;) {
    const torch::Tensor& p = parameters[k];
    const bool fits = !b.parameters.empty() && filled + bytes_of(p) <= bucket_bytes;
    const bool same_kind = !b.parameters.empty() && parameters[b.parameters.back().front()].dtype() == p.dtype() &&
                           parameters[b.parameters.back().front()].device() == p.device();
    if (!fits || !same_kind) {
      b.parameters.emplace_back();
      filled = 0;
    }
    b.parameters.back().push_back(k);
    filled += bytes_of(p);
  }
  return b;
}

void attach_gradient_buffers(std::vector<torch::Tensor>& parameters, GradientBuckets& buckets) {
  torch::NoGradGuard no_grad;
  buckets.buffers.clear();
  for (const auto& bucket : buckets.parameters) {
    int64_t elements = 0;
    for (size_t i : bucket) elements += parameters[i].numel();
    torch::Tensor flat = at::zeros({elements}, parameters[bucket.front()].options().requires_grad(false));
    int64_t offset = 0;
    for (size_t i : bucket) {
      torch::Tensor& p = parameters[i];
      p.mutable_grad() = flat.narrow(0, offset, p.numel()).view(p.sizes());
      offset += p.numel();
    }
    buckets.buffers.push_back(flat);
  }
}

void zero_gradients(std::vector<torch::Tensor>& parameters, const GradientBuckets* buckets) {
  if (buckets && !buckets->buffers.empty()) {
    for (const auto& b : buckets->buffers) b.zero_();
    return;
  }
  for (auto& p : parameters) p.mutable_grad().reset();
}

namespace {

// Every gradient summed over the ranks, then divided by `divisor`.
void reduce_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters, const GradientBuckets& buckets,
                      double divisor) {
  if (comm.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<std::unique_ptr<PendingCollective>> pending;
  if (!buckets.buffers.empty()) {
    std::vector<torch::Tensor> flats = buckets.buffers;
    for (auto& f : flats) {
      std::vector<torch::Tensor> one = {f};
      pending.push_back(comm.start_all_reduce_sum(one));
    }
    for (size_t b = 0; b < flats.size(); ++b) {
      pending[b]->wait();
      if (divisor != 1.0) flats[b].div_(divisor);
    }
    return;
  }
  std::vector<torch::Tensor> flats;
  flats.reserve(buckets.parameters.size());
  for (const auto& bucket : buckets.parameters) {
    std::vector<torch::Tensor> pieces;
    for (size_t i : bucket) {
      torch::Tensor& p = parameters[i];
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      pieces.push_back(p.grad().reshape({-1}));
    }
    flats.push_back(at::cat(pieces));
    std::vector<torch::Tensor> one = {flats.back()};
    pending.push_back(comm.start_all_reduce_sum(one));
  }
  for (size_t b = 0; b < buckets.parameters.size(); ++b) {
    pending[b]->wait();
    if (divisor != 1.0) flats[b].div_(divisor);
    int64_t offset = 0;
    for (size_t i : buckets.parameters[b]) {
      torch::Tensor& g = parameters[i].mutable_grad();
      g.copy_(flats[b].narrow(0, offset, g.numel()).view_as(g));
      offset += g.numel();
    }
  }
}

}  // namespace

void average_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters, const GradientBuckets& buckets) {
  reduce_gradients(comm, parameters, buckets, comm.world_size());
}

void sum_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters, const GradientBuckets& buckets) {
  reduce_gradients(comm, parameters, buckets, 1.0);
}

}  // namespace sprout::backend
