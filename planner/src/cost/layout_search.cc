// SPDX-License-Identifier: GPL-3.0-or-later
// Exhaustive layout search: TP x PP x micro-batch x interleave x recompute
// (DP follows from the GPU count). Sequence parallelism is on whenever TP > 1
// and the distributed optimizer whenever DP > 1: in this model both only save
// memory or communication, never cost time.
#include "sprout/planner/cost/layout_search.h"

#include <algorithm>
#include <limits>

namespace sprout::planner {
namespace {

// How `pp` stages may hold the layers: evenly when pp divides them; else the
// most even split (the first and last stages, which also hold the embedding
// and the logits, get the fewer layers) and, with more than two stages, one
// with the first and last stage a layer lighter still (as Llama 3 405B ran:
// 126 layers on 16 stages, 7 on each end). The ranking keeps what is faster.
std::vector<std::vector<int>> stage_splits(int layers, int pp) {
  if (layers % pp == 0) return {{}};
  std::vector<std::vector<int>> out = {split_layers(layers, pp)};
  const int fewest = layers / pp;
  if (pp > 2 && fewest > 1) {
    std::vector<int> lighter_ends = split_layers(layers, pp, fewest - 1, fewest - 1);
    if (!lighter_ends.empty()) out.push_back(std::move(lighter_ends));
  }
  return out;
}

// Ranks the workload's layout if it fits in memory; else remembers how far
// off the closest miss was.
void consider(const StageWorkload& w, const HardwareProfile& hw, ActivationFootprint footprint,
              LayoutSearchResult& result, double& least_overshoot) {
  const ParallelLayout& p = w.layout;
  const int m = micro_batches_per_iteration(w.global_batch_sequences, p);
  MemoryBreakdown mem = workload_memory(w, m, hw, footprint);
  ++result.evaluated;
  if (auto problem = memory_problem(mem, hw)) {
    ++result.rejected_memory;
    const double overshoot = mem.total_gb() - hw.hbm_gb;
    if (overshoot < least_overshoot) {
      least_overshoot = overshoot;
      result.tightest_reason = describe(p) + ": " + *problem;
    }
    return;
  }
  result.ranked.push_back({p, estimate_iteration(w, hw), mem});
}

}  // namespace

MemoryBreakdown workload_memory(const StageWorkload& w, int micro_batches, const HardwareProfile& hw,
                                ActivationFootprint footprint) {
  MemoryBreakdown mem = memory_per_gpu(w.shape, w.layout, w.attention, w.dropout, micro_batches, hw, footprint);
  if (w.width_ramp) mem.growth_ramp_gb = width_ramp_activation_bytes(w.shape, w.layout, micro_batches, footprint) / 1e9;
  return mem;
}

LayoutSearchResult search_layouts(const StageWorkload& base, int gpus, const HardwareProfile& hw,
                                  const LayoutSearchOptions& options) {
  LayoutSearchResult result;
  const ModelShape& s = base.shape;
  const int max_tp =
      options.max_tp > 0 ? options.max_tp : (options.allow_cross_node_tp ? gpus : std::max(1, hw.gpus_per_node));
  std::vector<Recompute> recomputes = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  if (options.recompute) recomputes = {*options.recompute};
  double least_overshoot = std::numeric_limits<double>::infinity();

  StageWorkload w = base;
  for (int tp = 1; tp <= std::min(max_tp, gpus); ++tp) {
    if (gpus % tp || s.heads % tp || s.kv_heads % tp || s.ffn_hidden % tp) continue;
    for (int pp = 1; pp <= std::min(s.layers, gpus / tp); ++pp) {
      if ((gpus / tp) % pp) continue;
      const int dp = gpus / (tp * pp);
      const long long per_replica = base.global_batch_sequences / dp;
      if (per_replica < 1) continue;
      for (const std::vector<int>& split : stage_splits(s.layers, pp)) {
        for (int mb = 1; mb <= options.max_micro_batch && mb <= per_replica; mb *= 2) {
          for (int v = 1; v <= (pp > 1 && split.empty() ? options.max_interleave : 1); ++v) {
            if (s.layers % (pp * v) && split.empty()) continue;
            for (Recompute rc : recomputes) {
              ParallelLayout& p = w.layout;
              p.tp = tp;
              p.pp = pp;
              p.dp = dp;
              p.micro_batch = mb;
              p.interleave = v;
              p.sequence_parallel = tp > 1;
              p.distributed_optimizer = dp > 1;
              p.recompute = rc;
              p.stage_layers = split;
              consider(w, hw, options.memory_footprint, result, least_overshoot);
            }
          }
        }
      }
    }
  }
  std::sort(result.ranked.begin(), result.ranked.end(), [](const LayoutCandidate& a, const LayoutCandidate& b) {
    // Rounding the batch to dp x micro_batch changes it slightly
    // between layouts: compare time per sequence.
    const double ta = a.estimate.iteration_s / a.estimate.global_batch_sequences;
    const double tb = b.estimate.iteration_s / b.estimate.global_batch_sequences;
    if (ta != tb) return ta < tb;
    return a.memory.total_gb() < b.memory.total_gb();
  });
  return result;
}

}  // namespace sprout::planner
