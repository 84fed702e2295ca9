// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_accounting.h"

#include <algorithm>

namespace sprout::backend {

RunAccounting::RunAccounting(std::unique_ptr<EnergyMeter> meter, bool node_first_rank, const RunCounters& counters)
    : meter_(std::move(meter)),
      counts_here_(node_first_rank || !meter_->measures_whole_node()),
      energy_base_j_(counters.energy_j),
      time_mark_(Clock::now()) {}

void RunAccounting::account(Communicator& comm, RunCounters& c) {
  const double joules = sum_over_ranks(comm, {counts_here_ ? meter_->joules() : 0.0})[0];
  const size_t si = std::min(c.stage_index, c.stages.size() - 1);
  c.stages[si].wall_seconds += seconds_since(time_mark_);
  c.stages[si].energy_j += joules - energy_mark_j_;
  c.energy_j = energy_base_j_ + joules;
  energy_mark_j_ = joules;
  time_mark_ = Clock::now();
}

}  // namespace sprout::backend
