// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/process_groups.h"

#include <fmt/format.h>

#include <stdexcept>

namespace sprout::backend {

ProcessGroups make_process_groups(Communicator& world, const StageLayout& layout) {
  if (layout.world_size() != world.world_size()) {
    throw std::invalid_argument(fmt::format("layout {} needs {} ranks, the run has {}", layout.describe(),
                                            layout.world_size(), world.world_size()));
  }
  const int me = world.rank();
  // Every rank creates its groups in the same order (TP, PP, DP, embedding),
  // and a group connects once all its members are there: no rank waits on
  // one that is connecting a different kind of group.
  auto split = [&](const std::vector<int>& members, const char* kind) {
    return world.split(members, fmt::format("{}/{}-{}", layout.group_key(), kind, members.front()));
  };
  ProcessGroups g;
  g.world = &world;
  g.tensor = split(tensor_parallel_members(layout, me), "tp");
  g.pipeline = split(pipeline_members(layout, me), "pp");
  if (layout.pp > 1) {
    // Activations go to the next pipeline rank, gradients to the previous
    // (interleaving wraps the last rank round to the first).
    const int r = g.pipeline->rank(), p = g.pipeline->world_size();
    g.pipeline->connect_peers({(r + p - 1) % p, (r + 1) % p});
  }
  g.data = split(data_parallel_members(layout, me), "dp");
  if (const auto members = embedding_members(layout, me); !members.empty()) g.embedding = split(members, "embedding");
  return g;
}

}  // namespace sprout::backend
