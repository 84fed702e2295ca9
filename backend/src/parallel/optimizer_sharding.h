// SPDX-License-Identifier: GPL-3.0-or-later
// ZeRO-1 (Rajbhandari et al., "ZeRO", SC 2020, stage 1; Megatron's
// "distributed optimizer"): each data-parallel rank keeps the Adam moments of
// only its share of the parameters and updates only those; the updated
// parameters are then broadcast from their owners. Gradients are still
// all-reduced in full, so the global-norm clip and every update are the same
// numbers as without sharding (bitwise on the CPU). Memory per rank for the
// moments: 1/world of 8 bytes per parameter.
//
// The unit of sharding is a whole parameter (AdamWState keeps its moments per
// parameter): ranks own parameters, balanced by element count. A moment a
// rank does not own is an undefined tensor, and adamw_step skips it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "comm/communicator.h"
#include "model/adamw.h"

namespace sprout::backend {

inline constexpr int kReplicated = -1;  // every rank keeps it (no ZeRO-1)

struct OptimizerSharding {
  std::vector<int> owner;  // per parameter: the owning rank, or kReplicated

  bool sharded() const;
  bool keeps(size_t parameter, int rank) const { return owner[parameter] == kReplicated || owner[parameter] == rank; }
};

OptimizerSharding replicated_sharding(size_t parameter_count);

// Longest-processing-time greedy: parameters by descending size, each to the
// rank with the fewest elements so far (ties: lower rank, then lower index).
// Deterministic, so every rank computes the same owners.
OptimizerSharding balanced_sharding(const std::vector<torch::Tensor>& parameters, int world_size);

// Elements of Adam moments (m and v) this rank holds.
int64_t moment_elements_held(const AdamWState& state);

// Moves the moments from layout `from` to layout `to` (same parameters):
// where the owner changes they are broadcast from the old owner; a rank keeps
// exactly those `to` gives it and drops the rest. Collective: every rank calls it.
void reshard_moments(Communicator& comm, AdamWState& state, const std::vector<torch::Tensor>& parameters,
                     const OptimizerSharding& from, const OptimizerSharding& to);

// After a sharded update: every rank receives every parameter from its owner
// (one broadcast per owner and bucket of about `bucket_bytes`).
void broadcast_parameters_from_owners(Communicator& comm, std::vector<torch::Tensor>& parameters,
                                      const OptimizerSharding& sharding, int64_t bucket_bytes);

}  // namespace sprout::backend
