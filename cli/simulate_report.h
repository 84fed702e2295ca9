// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout simulate` output: the P10/P50/P90 table with overheads and the
// carbon-aware comparison, and CSV (JSON comes from the simulator library).
#pragma once

#include <string>

#include "sprout/simulator/run/simulation.h"

namespace sprout::cli {

std::string simulation_table(const simulator::SimulationReport& report);
std::string simulation_csv(const simulator::SimulationReport& report);

}  // namespace sprout::cli
