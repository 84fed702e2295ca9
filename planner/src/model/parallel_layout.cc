// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/parallel_layout.h"

#include <fmt/format.h>

namespace sprout::planner {

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
  if (s.layers % (p.pp * p.interleave) != 0) {
    return fmt::format("layers={} cannot be split evenly into pp={} x interleave={} chunks", s.layers, p.pp,
                       p.interleave);
  }
  if (p.interleave > 1 && p.pp == 1) return "interleave > 1 needs pp > 1";
  if (p.gpus() != gpus) {
    return fmt::format("tp*pp*dp = {}*{}*{} = {} but the plan has {} GPUs", p.tp, p.pp, p.dp, p.gpus(), gpus);
  }
  return std::nullopt;
}

std::string describe(const ParallelLayout& p) {
  std::string s = fmt::format("TP{} PP{} DP{} mb{}", p.tp, p.pp, p.dp, p.micro_batch);
  if (p.interleave > 1) s += fmt::format(" v{}", p.interleave);
  if (p.sequence_parallel) s += " sp";
  if (p.distributed_optimizer) s += " zero1";
  s += fmt::format(" rc:{}", to_string(p.recompute));
  return s;
}

const char* to_string(AttentionKernel k) { return EnumNames<AttentionKernel>::name(k); }

}  // namespace sprout::planner
