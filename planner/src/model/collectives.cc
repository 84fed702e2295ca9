// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/collectives.h"

#include <algorithm>

namespace sprout::planner::internal {

double bus_bandwidth(const HardwareProfile& hw, int ranks, int ranks_per_node) {
  const double intra = hw.intra_node_gb_per_s * 1e9 * hw.calibration.network_efficiency;
  if (ranks <= ranks_per_node) return intra;
  const double inter = hw.inter_node_gb_per_s * 1e9 * hw.calibration.network_efficiency * std::max(1, ranks_per_node);
  return std::min(intra, inter);
}

static double latency_s(const HardwareProfile& hw, int ranks, int ranks_per_node) {
  return (ranks <= ranks_per_node ? hw.intra_node_latency_us : hw.inter_node_latency_us) * 1e-6;
}

double allreduce_seconds(const HardwareProfile& hw, double bytes, int ranks, int ranks_per_node) {
  if (ranks <= 1 || bytes <= 0) return 0;
  const double n = ranks;
  return 2 * (n - 1) / n * bytes / bus_bandwidth(hw, ranks, ranks_per_node) +
         2 * (n - 1) * latency_s(hw, ranks, ranks_per_node);
}

double allgather_seconds(const HardwareProfile& hw, double bytes, int ranks, int ranks_per_node) {
  if (ranks <= 1 || bytes <= 0) return 0;
  const double n = ranks;
  return (n - 1) / n * bytes / bus_bandwidth(hw, ranks, ranks_per_node) +
         (n - 1) * latency_s(hw, ranks, ranks_per_node);
}

double p2p_seconds(const HardwareProfile& hw, double bytes, bool same_node) {
  if (bytes <= 0) return 0;
  const double efficiency = hw.calibration.network_efficiency;
  if (same_node) return bytes / (hw.intra_node_gb_per_s * 1e9 * efficiency) + hw.intra_node_latency_us * 1e-6;
  return bytes / (hw.inter_node_gb_per_s * 1e9 * efficiency) + hw.inter_node_latency_us * 1e-6;
}

}  // namespace sprout::planner::internal
