// SPDX-License-Identifier: GPL-3.0-or-later
// When a run happens: its start, the grid intensity of every hour it runs in
// (an hourly trace, or the region's annual mean), and which hours it must
// sit out (carbon-aware pausing).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sprout/simulator/carbon/carbon_trace.h"

namespace sprout::simulator {

struct RunCalendar {
  planner::UnixSeconds start_unix_s = 0;
  double constant_g_co2e_per_kwh = 0;  // used when there is no trace
  std::optional<CarbonTrace> trace;    // past its end the trace repeats from its start
  // 1 = the job is suspended in that trace hour (index from the trace start);
  // hours past the end of the vector are allowed. Empty: never paused.
  std::vector<std::uint8_t> paused_hours;
};

// A calendar with the region's constant intensity and no pauses.
RunCalendar constant_calendar(double g_co2e_per_kwh);

}  // namespace sprout::simulator
