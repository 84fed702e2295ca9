// SPDX-License-Identifier: GPL-3.0-or-later
// Failures, checkpoints and the work they cost, in closed form. The Monte
// Carlo walks the same model; these give its exact expectations.
//
// Model: job interruptions form a Poisson process in running time with rate
// lambda = GPUs / MTBF-per-GPU (Llama 3: 419 interruptions in 54 days on
// 16,384 GPUs, Dubey et al. 2024, sec. 3.3.4). Work is split into segments
// of w seconds followed by a checkpoint write of c seconds that commits it; a
// failure loses everything since the segment began, costs a restart of R
// seconds (no failures during the restart) and the segment starts again.
#pragma once

namespace sprout::simulator {

// 16,384 GPUs x 54 days x 24 h / 419 interruptions = 50,677 GPU-hours.
inline constexpr double kLlama3MtbfGpuHours = 16384.0 * 54 * 24 / 419;

// Interruptions per second of running time of a job on `gpus` GPUs.
double job_failure_rate_per_s(int gpus, double mtbf_gpu_hours);

// Young (1974) / Daly (2006) first-order optimum of the work between
// checkpoints: sqrt(2 x write time x MTBF of the job). Infinite without
// failures; 0 when checkpoints are free.
double young_daly_interval_s(double checkpoint_write_s, double failure_rate_per_s);

// Expectations for one segment of at-risk length L = w + c:
//   time   E[T] = (1/lambda + R) (e^{lambda L} - 1)
//   failures     e^{lambda L} - 1
//   lost work    (e^{lambda L} - 1) / lambda - L
// (the restart-renewal argument of Daly 2006, eq. 4, without his
// approximations). Each tends to L, 0, 0 as lambda -> 0.
struct SegmentExpectation {
  double time_s = 0;
  double failures = 0;
  double lost_work_s = 0;
  double restart_s = 0;
};
SegmentExpectation expected_segment(double at_risk_s, double failure_rate_per_s, double restart_s);

}  // namespace sprout::simulator
