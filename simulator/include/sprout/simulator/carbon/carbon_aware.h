// SPDX-License-Identifier: GPL-3.0-or-later
// Carbon-aware scheduling on an hourly trace (after CarbonScaler, Hanafy et
// al. 2023, and Wiesner et al. 2021, "Let's wait awhile"):
//   start: delay the whole run to the start hour, before the deadline, whose
//          window has the lowest integrated grid intensity;
//   pause: suspend the job in the dirtiest hours of the window, keeping just
//          enough clean hours (minus checkpoint + relaunch per pause) to
//          finish by the deadline.
#pragma once

#include <cstdint>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/simulator/carbon/carbon_trace.h"
#include "sprout/simulator/carbon/run_calendar.h"

namespace sprout::simulator {

enum class CarbonAwareMode { kNone, kStart, kPause };
const char* to_string(CarbonAwareMode mode);

}  // namespace sprout::simulator

namespace sprout::planner {
template <>
struct EnumNameTable<simulator::CarbonAwareMode> {
  static constexpr EnumName<simulator::CarbonAwareMode> entries[] = {{simulator::CarbonAwareMode::kNone, "none"},
                                                                     {simulator::CarbonAwareMode::kStart, "start"},
                                                                     {simulator::CarbonAwareMode::kPause, "pause"}};
};
}  // namespace sprout::planner

namespace sprout::simulator {

// The hourly start in [earliest, latest] whose next `run_s` seconds have the
// lowest integrated intensity. Requires a trace in `calendar`.
planner::UnixSeconds best_start(const RunCalendar& calendar, planner::UnixSeconds earliest, planner::UnixSeconds latest,
                                double run_s);

struct PausePlan {
  std::vector<std::uint8_t> paused_hours;  // RunCalendar::paused_hours
  long long window_hours = 0;              // hours between start and deadline
  long long paused_hour_count = 0;
  double threshold_g_co2e_per_kwh = 0;  // cleanest hour paused (hours above it, or equal, are skipped)
  bool feasible = false;                // enough clean hours to finish by the deadline
};

// Pauses for a run needing `need_s` seconds of running time that must end by
// `deadline`; each pause costs `per_pause_s` (checkpoint + relaunch).
PausePlan plan_pauses(const CarbonTrace& trace, planner::UnixSeconds start, planner::UnixSeconds deadline,
                      double need_s, double per_pause_s);

}  // namespace sprout::simulator
