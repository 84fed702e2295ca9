// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/failure_model.h"

#include <cmath>
#include <limits>

#include "sprout/planner/base/units.h"

namespace sprout::simulator {

double job_failure_rate_per_s(int gpus, double mtbf_gpu_hours) {
  if (mtbf_gpu_hours <= 0 || gpus <= 0) return 0;
  return gpus / (mtbf_gpu_hours * planner::kSecondsPerHour);
}

double young_daly_interval_s(double checkpoint_write_s, double failure_rate_per_s) {
  if (failure_rate_per_s <= 0) return std::numeric_limits<double>::infinity();
  return std::sqrt(2 * checkpoint_write_s / failure_rate_per_s);
}

SegmentExpectation expected_segment(double at_risk_s, double lambda, double restart_s) {
  SegmentExpectation e;
  if (lambda <= 0 || at_risk_s <= 0) {
    e.time_s = at_risk_s;
    return e;
  }
  // expm1 keeps precision when lambda L is tiny (short segments, rare failures).
  const double growth = std::expm1(lambda * at_risk_s);
  e.failures = growth;
  e.lost_work_s = growth / lambda - at_risk_s;
  e.restart_s = growth * restart_s;
  e.time_s = at_risk_s + e.lost_work_s + e.restart_s;
  return e;
}

}  // namespace sprout::simulator
