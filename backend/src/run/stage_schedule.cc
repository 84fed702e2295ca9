// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/stage_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/cost/estimate.h"

namespace sprout::backend {

std::vector<StageSchedule> schedule_stages(const planner::Plan& plan, int world_size) {
  std::vector<StageSchedule> out;
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const planner::Stage& st = plan.stages[i];
    const auto& s = st.shape;
    auto fail = [&](const std::string& field, const std::string& reason) {
      throw planner::InputError(st.location, fmt::format("stages[{}].{}", i, field), reason);
    };
    // Layouts (and positions) sprout-train cannot run are refused before
    // this by planner::trainer_cannot_run, the one place that says which.
    const planner::ParallelLayout layout = st.parallel.value_or(planner::ParallelLayout{});
    const int dp = st.parallel ? layout.dp : world_size;
    const int needed = st.parallel ? layout.tp * layout.pp * layout.dp : world_size;
    if (needed != world_size) {
      fail("parallel.dp",
           layout.tp * layout.pp == 1
               ? fmt::format("{} data-parallel ranks planned but {} process(es) running", dp, world_size)
               : fmt::format("layout TP{} PP{} DP{} needs tp x pp x dp = {} processes but {} are running", layout.tp,
                             layout.pp, layout.dp, needed, world_size));
    }
    StageSchedule sc;
    const double seqs = st.global_batch_tokens / s.seq_len;
    if (std::abs(seqs - std::round(seqs)) > 1e-9) {
      fail("global_batch_tokens",
           fmt::format("{} is not a whole number of {}-token sequences", st.global_batch_tokens, s.seq_len));
    }
    sc.sequences_per_step = std::llround(seqs);
    if (st.parallel) {
      sc.micro_batch = layout.micro_batch;
    } else {  // the largest divisor of the per-rank batch up to 16 sequences
      const long long per_rank = std::max<long long>(1, sc.sequences_per_step / dp);
      sc.micro_batch = std::min<long long>(per_rank, kDefaultMaxMicroBatch);
      while (sc.micro_batch > 1 && per_rank % sc.micro_batch != 0) --sc.micro_batch;
    }
    if (sc.micro_batch < 1 || sc.sequences_per_step % (sc.micro_batch * dp) != 0) {
      fail("parallel.micro_batch",
           fmt::format("{} sequences per step do not split into micro-batches of {} on {} rank(s)",
                       sc.sequences_per_step, sc.micro_batch, dp));
    }
    sc.accumulation = sc.sequences_per_step / (sc.micro_batch * dp);
    sc.steps = planner::iterations_for_tokens(st.tokens, st.global_batch_tokens);
    sc.warmup_steps = std::llround(st.warmup_fraction * static_cast<double>(sc.steps));
    sc.recompute = planner::planned_recompute(plan, st);
    if (i > 0) {
      const auto& prev = plan.stages[i - 1].shape;
      if (s.head_dim() < prev.head_dim()) {
        fail("heads", fmt::format("head size shrinks from {} to {} (hidden/heads): growth only adds units",
                                  prev.head_dim(), s.head_dim()));
      }
      if (s.tied_embeddings != prev.tied_embeddings) fail("tied_embeddings", "cannot change between stages");
      sc.grow_steps = st.grow ? st.grow->grow_steps : 0;
      if (sc.grow_steps > sc.steps) {
        fail("grow.grow_steps", fmt::format("{} is longer than the stage ({} steps): the mask would not reach 1",
                                            sc.grow_steps, sc.steps));
      }
    }
    out.push_back(sc);
  }
  return out;
}

long long total_steps(const std::vector<StageSchedule>& schedules) {
  long long steps = 0;
  for (const auto& s : schedules) steps += s.steps;
  return steps;
}

}  // namespace sprout::backend
