// SPDX-License-Identifier: GPL-3.0-or-later
// Collective-communication times (internal to the planner's cost models).
#pragma once

#include "sprout/planner/model/hardware_profile.h"

namespace sprout::planner::internal {

// Bus bandwidth (bytes/s, as nccl-tests reports it) of a collective over
// `ranks` of which `ranks_per_node` share a node. Inside one node: the
// intra-node link. Across nodes each GPU drives its own NIC, so the ring moves
// ranks_per_node NICs' worth of data per node: min(intra, k x NIC).
double bus_bandwidth(const HardwareProfile& hw, int ranks, int ranks_per_node);

// Ring all-reduce of `bytes` (Patarasuk and Yuan 2009; Thakur et al. 2005; docs/references.md "Compute"):
//   2 (n-1)/n * S / busbw + 2 (n-1) * latency.
double allreduce_seconds(const HardwareProfile& hw, double bytes, int ranks, int ranks_per_node);
// All-gather or reduce-scatter: half an all-reduce, (n-1)/n * S / busbw + (n-1) latency.
double allgather_seconds(const HardwareProfile& hw, double bytes, int ranks, int ranks_per_node);
// One point-to-point message between two ranks, inside a node or not.
double p2p_seconds(const HardwareProfile& hw, double bytes, bool same_node);

}  // namespace sprout::planner::internal
