// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/optimizer_sharding.h"

#include <algorithm>
#include <numeric>

namespace sprout::backend {

bool OptimizerSharding::sharded() const {
  return std::any_of(owner.begin(), owner.end(), [](int o) { return o != kReplicated; });
}

OptimizerSharding replicated_sharding(size_t parameter_count) {
  return {std::vector<int>(parameter_count, kReplicated)};
}

OptimizerSharding balanced_sharding(const std::vector<torch::Tensor>& parameters, int world_size) {
  OptimizerSharding s{std::vector<int>(parameters.size(), 0)};
  std::vector<size_t> order(parameters.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return parameters[a].numel() > parameters[b].numel(); });
  std::vector<int64_t> load(static_cast<size_t>(world_size), 0);
  for (size_t i : order) {
    const auto least = std::min_element(load.begin(), load.end());
    s.owner[i] = static_cast<int>(least - load.begin());
    *least += parameters[i].numel();
  }
  return s;
}

int64_t moment_elements_held(const AdamWState& state) {
  int64_t n = 0;
  for (const auto& m : state.moments) {
    if (m.exp_avg.defined()) n += m.exp_avg.numel() + m.exp_avg_sq.numel();
  }
  return n;
}

void reshard_moments(Communicator& comm, AdamWState& state, const std::vector<torch::Tensor>& parameters,
                     const OptimizerSharding& from, const OptimizerSharding& to) {
  torch::NoGradGuard no_grad;
  const int me = comm.rank();
  for (size_t i = 0; i < parameters.size(); ++i) {
    AdamWMoments& m = state.moments[i];
    const int old_owner = from.owner[i];
    const int new_owner = to.owner[i];
    const bool moves = old_owner != kReplicated && old_owner != new_owner;
    if (moves) {
      if (me != old_owner) {
        m = {torch::empty_like(parameters[i]).detach(), torch::empty_like(parameters[i]).detach()};
      }
      std::vector<torch::Tensor> both = {m.exp_avg, m.exp_avg_sq};
      comm.broadcast(both, old_owner);
    }
    if (!to.keeps(i, me)) m = {};
  }
}

void broadcast_parameters_from_owners(Communicator& comm, std::vector<torch::Tensor>& parameters,
                                      const OptimizerSharding& sharding, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  for (int root = 0; root < comm.world_size(); ++root) {
    std::vector<size_t> bucket;
    int64_t bytes = 0;
    auto flush = [&] {
      if (bucket.empty()) return;
      std::vector<torch::Tensor> flat(1);
      if (comm.rank() == root) {
        std::vector<torch::Tensor> pieces;
        for (size_t i : bucket) pieces.push_back(parameters[i].detach().reshape({-1}));
        flat[0] = at::cat(pieces);
      } else {
        int64_t elements = 0;
        for (size_t i : bucket) elements += parameters[i].numel();
        flat[0] = at::empty({elements}, parameters[bucket.front()].options().requires_grad(false));
      }
      comm.broadcast(flat, root);
      if (comm.rank() != root) {
        int64_t offset = 0;
        for (size_t i : bucket) {
          torch::Tensor p = parameters[i].detach();
          p.copy_(flat[0].narrow(0, offset, p.numel()).view_as(p));
          offset += p.numel();
        }
      }
      bucket.clear();
      bytes = 0;
    };
    for (size_t i = 0; i < parameters.size(); ++i) {
      if (sharding.owner[i] != root) continue;
      const int64_t b = parameters[i].numel() * static_cast<int64_t>(parameters[i].element_size());
      if (!bucket.empty() &&
          (bytes + b > bucket_bytes || parameters[bucket.front()].dtype() != parameters[i].dtype())) {
        flush();
      }
      bucket.push_back(i);
      bytes += b;
    }
    flush();
  }
}

}  // namespace sprout::backend
