// SPDX-License-Identifier: GPL-3.0-or-later
// Wall time and energy per stage: since the last mark, rank 0's clock and
// every rank's energy meter go to the current stage (docs/backend.md "Run
// directory": summary.json's wall_seconds and energy_kwh, the records'
// energy_j). Energy continues from the checkpoint's total after a resume.
#pragma once

#include <memory>

#include "checkpoint/run_state.h"
#include "comm/communicator.h"
#include "device/energy_meter.h"
#include "device/stopwatch.h"

namespace sprout::backend {

class RunAccounting {
 public:
  // `node_first_rank`: this rank is its node's first, where a meter that
  // reads the whole node (RAPL) counts. Starts the clock now.
  RunAccounting(std::unique_ptr<EnergyMeter> meter, bool node_first_rank, const RunCounters& counters);

  // Collective: every rank's joules are summed.
  void account(Communicator& comm, RunCounters& counters);
  const char* energy_source() const { return meter_->source(); }

 private:
  std::unique_ptr<EnergyMeter> meter_;
  bool counts_here_;
  double energy_base_j_;      // counters.energy_j when this process started
  double energy_mark_j_ = 0;  // all ranks' meters at the last accounting
  Clock::time_point time_mark_;
};

}  // namespace sprout::backend
