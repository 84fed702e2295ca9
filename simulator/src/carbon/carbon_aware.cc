// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/carbon/carbon_aware.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "carbon/calendar_index.h"

namespace sprout::simulator {

const char* to_string(CarbonAwareMode mode) { return planner::EnumNames<CarbonAwareMode>::name(mode); }

planner::UnixSeconds best_start(const RunCalendar& calendar, planner::UnixSeconds earliest, planner::UnixSeconds latest,
                                double run_s) {
  if (!calendar.trace) throw std::invalid_argument("best_start needs a carbon trace");
  RunCalendar from_earliest = calendar;
  from_earliest.start_unix_s = earliest;
  from_earliest.paused_hours.clear();
  const internal::CalendarIndex index(from_earliest);
  planner::UnixSeconds best = earliest;
  double best_integral = std::numeric_limits<double>::infinity();
  for (planner::UnixSeconds s = earliest; s <= latest; s += kTraceStepSeconds) {
    const double offset = static_cast<double>(s - earliest);
    const double integral = index.intensity_integral(offset, offset + run_s);
    // Ties keep the earlier start (it finishes sooner).
    if (s == earliest || integral < best_integral - 1e-9 * std::abs(best_integral)) {
      best_integral = integral;
      best = s;
    }
  }
  return best;
}

namespace {

// Running seconds that the allowed hours give, after paying for each block's
// checkpoint + relaunch (the first block starts fresh).
double capacity_s(const std::vector<std::uint8_t>& allowed, double per_pause_s) {
  double seconds = 0;
  long long blocks = 0;
  for (size_t h = 0; h < allowed.size(); ++h) {
    if (!allowed[h]) continue;
    seconds += kTraceStepSeconds;
    if (h == 0 || !allowed[h - 1]) ++blocks;
  }
  return seconds - static_cast<double>(std::max(0LL, blocks - 1)) * per_pause_s;
}

}  // namespace

PausePlan plan_pauses(const CarbonTrace& trace, planner::UnixSeconds start, planner::UnixSeconds deadline,
                      double need_s, double per_pause_s) {
  PausePlan plan;
  const long long first = static_cast<long long>((start - trace.start_unix_s) / kTraceStepSeconds);
  const long long end = std::min<long long>(trace.hours(), (deadline - trace.start_unix_s) / kTraceStepSeconds);
  plan.window_hours = std::max(0LL, end - first);
  const size_t n = static_cast<size_t>(plan.window_hours);
  // Window hours from cleanest to dirtiest (stable: earlier hours first on ties).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return trace.g_co2e_per_kwh[first + a] < trace.g_co2e_per_kwh[first + b];
  });
  auto allowed_with = [&](size_t keep) {
    std::vector<std::uint8_t> allowed(n, 0);
    for (size_t i = 0; i < keep; ++i) allowed[order[i]] = 1;
    return allowed;
  };
  auto enough = [&](size_t keep) { return capacity_s(allowed_with(keep), per_pause_s) >= need_s; };
  plan.feasible = n > 0 && enough(n);
  size_t keep = n;
  if (plan.feasible) {
    // Capacity grows with every kept hour except when an hour splits a block;
    // bisect, then step up past any such dip.
    size_t lo = 0, hi = n;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (enough(mid))
        hi = mid;
      else
        lo = mid + 1;
    }
    keep = lo;
    while (keep < n && !enough(keep)) ++keep;
  }
  const std::vector<std::uint8_t> allowed = allowed_with(keep);
  plan.paused_hours.assign(static_cast<size_t>(std::max(0LL, end)), 0);
  for (size_t h = 0; h < n; ++h) {
    if (!allowed[h]) {
      plan.paused_hours[first + h] = 1;
      ++plan.paused_hour_count;
    }
  }
  plan.threshold_g_co2e_per_kwh = keep < n ? trace.g_co2e_per_kwh[first + order[keep]] : 0;
  return plan;
}

}  // namespace sprout::simulator
