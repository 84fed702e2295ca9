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

// Asked once: every timed repetition waits for the device.
bool probe_on_gpu() {
  static const bool gpu = torch::cuda::is_available();
  return gpu;
}
torch::Device probe_device() { return probe_on_gpu() ? torch::kCUDA : torch::kCPU; }

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

double time_median(const std::function<void()>& run, double budget_s) {
  return median_seconds([&] { return device_seconds(probe_device(), run); }, budget_s);
}

}  // namespace sprout::backend
