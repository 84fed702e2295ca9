// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/probe_medians.h"

#include <torch/cuda.h>

#include <algorithm>

#include "device/stopwatch.h"

namespace sprout::backend {

double median_of(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

double device_seconds(torch::Device device, const std::function<void()>& run) {
  const auto start = Clock::now();
  run();
  if (device.is_cuda()) torch::cuda::synchronize();
  return seconds_since(start);
}

double median_seconds(const std::function<double()>& seconds, double budget_s) {
  seconds();
  std::vector<double> t;
  const auto start = Clock::now();
  while (t.size() < 3 || (seconds_since(start) < budget_s && t.size() < 200)) t.push_back(seconds());
  return median_of(std::move(t));
}

}  // namespace sprout::backend
