// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/trainer_support.h"

#include <fmt/format.h>

namespace sprout::planner {

std::optional<std::string> trainer_cannot_run(const Plan& plan) {
  for (const Stage& st : plan.stages) {
    if (!st.parallel) continue;  // the trainer runs such a stage data-parallel on all ranks
    const ParallelLayout& p = *st.parallel;
    if (p.tp > 1 || p.pp > 1) {
      return fmt::format(
          "stage '{}': layout TP{} PP{} DP{} needs tensor/pipeline parallelism, which sprout-train "
          "does not implement yet (it runs data parallelism only: set tp: 1, pp: 1)",
          st.name, p.tp, p.pp, p.dp);
    }
  }
  return std::nullopt;
}

}  // namespace sprout::planner
