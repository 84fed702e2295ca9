// SPDX-License-Identifier: GPL-3.0-or-later
// Where `sprout profile` runs its timings and how it turns repeated timings
// into one number: medians, of repetitions and of sweeps through all the
// shapes or operations it times.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace sprout::backend {

// Sweeps through every shape (or operation) a measurement times, each with a
// kProbeSweeps-th of its budget: a slowdown of a few seconds (another
// process, a VM losing its vCPUs for a while) lands in one sweep of what it
// hits, not in their median.
constexpr int kProbeSweeps = 3;

// The median of `values` (not empty; the upper one of an even count).
double median_of(std::vector<double> values);

// Where the probe runs: where training would, the GPU when there is one.
bool probe_on_gpu();
torch::Device probe_device();

// Seconds `run` takes on `device`, the GPU work it queued included.
double device_seconds(torch::Device device, const std::function<void()>& run);

// The median of `seconds()` over about `budget_s`: at least 3 runs after one
// warm-up, at most 200.
double median_seconds(const std::function<double()>& seconds, double budget_s);

// median_seconds of `run` on probe_device().
double time_median(const std::function<void()>& run, double budget_s);

}  // namespace sprout::backend
