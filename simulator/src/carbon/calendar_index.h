// SPDX-License-Identifier: GPL-3.0-or-later
// Fast look-ups on a RunCalendar for the Monte Carlo: the integral of grid
// intensity over an interval (prefix sums over hours) and the next pause or
// resume instant (precomputed per hour). Times are seconds since the run start.
#pragma once

#include <vector>

#include "sprout/simulator/carbon/run_calendar.h"

namespace sprout::simulator::internal {

class CalendarIndex {
 public:
  explicit CalendarIndex(const RunCalendar& calendar);

  // Integral of g(t) dt over [t0, t1], in gCO2e/kWh x seconds.
  double intensity_integral(double t0, double t1) const;
  // The first instant >= t at which the job must be suspended (t itself if
  // it is paused then); +infinity if never.
  double next_pause(double t) const;
  // The first instant >= t at which the job may run.
  double next_resume(double t) const;
  bool has_pauses() const { return !next_paused_hour_.empty(); }
  // Seconds after the run start at which the trace (first cycle) ends; +inf without one.
  double trace_end_s() const;

 private:
  double cumulative(double t) const;  // integral from the trace start to run time t
  long long hour_of(double t) const;

  double constant_ = 0;
  double offset_s_ = 0;         // run start minus trace start
  std::vector<double> prefix_;  // prefix_[h] = sum of the first h hours (g x hours)
  std::vector<double> hourly_;
  std::vector<long long> next_paused_hour_;   // per hour: first paused hour >= it (-1: none)
  std::vector<long long> next_allowed_hour_;  // per hour: first allowed hour >= it
};

}  // namespace sprout::simulator::internal
