// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/parallel_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace sprout::planner {
namespace {

std::optional<std::string> stage_layers_problem(const ParallelLayout& p, int layers) {
  const std::vector<int>& n = p.stage_layers;
  if (static_cast<int>(n.size()) != p.pp) {
    return fmt::format("pp_layers has {} entries but pp={}", n.size(), p.pp);
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i] < 1) return fmt::format("pipeline stage {} holds {} layers (every stage needs at least one)", i, n[i]);
  }
  const long long sum = std::accumulate(n.begin(), n.end(), 0LL);
  if (sum != layers) return fmt::format("pp_layers sum to {} but the model has layers={}", sum, layers);
  if (p.interleave > 1 && uneven_stages(p)) {
    // Megatron-LM spreads uneven first/last stages over virtual stages in its
    // own way; the cost model and the DAG do not model that schedule.
    return "uneven pipeline stages with interleave > 1 are not modelled (use interleave: 1)";
  }
  return std::nullopt;
}

}  // namespace

std::vector<int> layers_by_stage(const ParallelLayout& p, int layers) {
  if (!p.stage_layers.empty()) return p.stage_layers;
  return std::vector<int>(static_cast<size_t>(std::max(1, p.pp)), layers / std::max(1, p.pp));
}

bool uneven_stages(const ParallelLayout& p) {
  return std::adjacent_find(p.stage_layers.begin(), p.stage_layers.end(), std::not_equal_to<>()) !=
         p.stage_layers.end();
}

std::vector<int> split_layers(int layers, int pp, int first, int last) {
  if (pp < 1 || layers < pp) return {};
  if (pp == 1) return {layers};
  std::vector<int> out(static_cast<size_t>(pp), 0);
  const int middle_stages = pp - 2;
  int rest = layers - first - last;
  if (first > 0) out.front() = first;
  if (last > 0) out.back() = last;
  // The stages without a fixed count share the rest as evenly as possible.
  std::vector<size_t> open;
  if (first == 0) open.push_back(0);
  for (int i = 1; i <= middle_stages; ++i) open.push_back(static_cast<size_t>(i));
  if (last == 0) open.push_back(static_cast<size_t>(pp - 1));
  if (open.empty()) return rest == 0 ? out : std::vector<int>{};
  if (rest < static_cast<int>(open.size())) return {};
  const int each = rest / static_cast<int>(open.size());
  int extra = rest % static_cast<int>(open.size());
  // Extra layers go to the middle stages first (the ends carry the embedding
  // and the logits), starting after the first stage.
  std::vector<size_t> order = open;
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t i) { return i != 0 && i != static_cast<size_t>(pp - 1); });
  for (size_t i : open) out[i] = each;
  for (size_t k = 0; k < order.size() && extra > 0; ++k, --extra) ++out[order[k]];
  return out;
}

std::optional<std::string> layout_problem(const ParallelLayout& p, const ModelShape& s, int gpus) {
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.micro_batch < 1 || p.interleave < 1) {
    return "tp, pp, dp, micro_batch and interleave must all be >= 1";
  }
  if (s.heads % p.tp != 0) {
    return fmt::format("tp={} does not divide heads={}", p.tp, s.heads);
  }
  if (s.kv_heads % p.tp != 0) {
    return fmt::format("tp={} does not divide kv_heads={}", p.tp, s.kv_heads);
  }
  if (s.ffn_hidden % p.tp != 0) {
    return fmt::format("tp={} does not divide ffn_hidden={}", p.tp, s.ffn_hidden);
  }
  if (p.pp > s.layers) {
    return fmt::format("pp={} is more pipeline stages than layers={}", p.pp, s.layers);
  }
  if (!p.stage_layers.empty()) {
    if (auto problem = stage_layers_problem(p, s.layers)) return problem;
  }
  if (!uneven_stages(p) && s.layers % (p.pp * p.interleave) != 0) {
    return fmt::format("layers={} cannot be split evenly into pp={} x interleave={} chunks", s.layers, p.pp,
                       p.interleave);
  }
  if (p.interleave > 1 && p.pp == 1) return "interleave > 1 needs pp > 1";
  if (p.fully_sharded && (p.shard_group() < 1 || p.shard_group() > p.dp || p.dp % p.shard_group() != 0)) {
    return fmt::format("shard_ranks={} must divide dp={}", p.shard_group(), p.dp);
  }
  if (p.fully_sharded && p.pp > 1) return "fully_sharded (ZeRO-3) with pp > 1 is not modelled";
  if (p.gpus() != gpus) {
    return fmt::format("tp*pp*dp = {}*{}*{} = {} but the plan has {} GPUs", p.tp, p.pp, p.dp, p.gpus(), gpus);
  }
  return std::nullopt;
}

std::string describe(const ParallelLayout& p) {
  std::string s = fmt::format("TP{} PP{} DP{} mb{}", p.tp, p.pp, p.dp, p.micro_batch);
  if (p.interleave > 1) s += fmt::format(" v{}", p.interleave);
  if (uneven_stages(p)) {
    std::string counts;
    for (int n : p.stage_layers) counts += (counts.empty() ? "" : "/") + std::to_string(n);
    s += " layers " + counts;
  }
  if (p.sequence_parallel) s += " sp";
  if (p.fully_sharded) {
    s += p.shard_group() == p.dp ? " zero3" : fmt::format(" zero3/{}", p.shard_group());
  } else if (p.distributed_optimizer) {
    s += " zero1";
  }
  s += fmt::format(" rc:{}", to_string(p.recompute));
  return s;
}

const char* to_string(AttentionKernel k) { return EnumNames<AttentionKernel>::name(k); }
const char* to_string(Framework f) { return EnumNames<Framework>::name(f); }

}  // namespace sprout::planner
