// SPDX-License-Identifier: GPL-3.0-or-later
#include "carbon/calendar_index.h"

#include <cmath>
#include <limits>

#include "sprout/planner/base/units.h"

namespace sprout::simulator {

RunCalendar constant_calendar(double g_co2e_per_kwh) {
  RunCalendar c;
  c.constant_g_co2e_per_kwh = g_co2e_per_kwh;
  return c;
}

namespace internal {
namespace {
constexpr double kHour = planner::kSecondsPerHour;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}  // namespace

CalendarIndex::CalendarIndex(const RunCalendar& c) : constant_(c.constant_g_co2e_per_kwh) {
  if (c.trace) {
    hourly_ = c.trace->g_co2e_per_kwh;
    offset_s_ = static_cast<double>(c.start_unix_s - c.trace->start_unix_s);
    prefix_.resize(hourly_.size() + 1, 0);
    for (size_t h = 0; h < hourly_.size(); ++h) prefix_[h + 1] = prefix_[h] + hourly_[h];
  }
  bool any_pause = false;
  for (auto p : c.paused_hours) any_pause = any_pause || p;
  if (any_pause) {
    const long long n = static_cast<long long>(c.paused_hours.size());
    next_paused_hour_.assign(n + 1, -1);
    next_allowed_hour_.assign(n + 1, n);
    for (long long h = n - 1; h >= 0; --h) {
      next_paused_hour_[h] = c.paused_hours[h] ? h : next_paused_hour_[h + 1];
      next_allowed_hour_[h] = c.paused_hours[h] ? next_allowed_hour_[h + 1] : h;
    }
  }
}

long long CalendarIndex::hour_of(double t) const { return static_cast<long long>(std::floor((t + offset_s_) / kHour)); }

double CalendarIndex::cumulative(double t) const {
  const double x = (t + offset_s_) / kHour;  // hours since the trace start
  const double n = static_cast<double>(hourly_.size());
  const double cycles = std::floor(x / n);
  const double within = x - cycles * n;
  const size_t h = std::min(hourly_.size() - 1, static_cast<size_t>(within));
  return (cycles * prefix_.back() + prefix_[h] + (within - static_cast<double>(h)) * hourly_[h]) * kHour;
}

double CalendarIndex::intensity_integral(double t0, double t1) const {
  if (t1 <= t0) return 0;
  if (hourly_.empty()) return constant_ * (t1 - t0);
  return cumulative(t1) - cumulative(t0);
}

double CalendarIndex::next_pause(double t) const {
  if (next_paused_hour_.empty()) return kInfinity;
  const long long h = hour_of(t);
  const long long n = static_cast<long long>(next_paused_hour_.size()) - 1;
  if (h >= n) return kInfinity;
  const long long p = next_paused_hour_[std::max(0LL, h)];
  if (p < 0) return kInfinity;
  return std::max(t, static_cast<double>(p) * kHour - offset_s_);
}

double CalendarIndex::next_resume(double t) const {
  if (next_allowed_hour_.empty()) return t;
  const long long h = hour_of(t);
  const long long n = static_cast<long long>(next_allowed_hour_.size()) - 1;
  if (h < 0 || h >= n) return t;
  const long long a = next_allowed_hour_[h];
  return std::max(t, static_cast<double>(a) * kHour - offset_s_);
}

double CalendarIndex::trace_end_s() const {
  if (hourly_.empty()) return kInfinity;
  return static_cast<double>(hourly_.size()) * kHour - offset_s_;
}

}  // namespace internal
}  // namespace sprout::simulator
