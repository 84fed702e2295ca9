// SPDX-License-Identifier: GPL-3.0-or-later
// Tensor memory of the training device: the bytes LibTorch's allocator holds
// now and the most it held since a reset. CPU: LibTorch's CPU allocator is
// wrapped (c10::SetCPUAllocator, once per process) by one that counts bytes
// in use and their peak (a table of sizes by address, under a lock: the
// raw interface LibTorch kernels use frees by address); tensors allocated before it was
// installed are not counted. CUDA (the SPROUT_CUDA build): the caching
// allocator's own statistics (allocated bytes, current and peak; not the
// reserved cache).
//
// The trainer reports two peaks from the one device counter (CUDA keeps a
// single peak statistic): the peak of a window, one step's forward and
// backward passes (activation memory), and the peak since the last
// telemetry record, which includes every window since.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace sprout::backend {

class MemoryMeter {
 public:
  // CPU: installs the counting allocator unless it is installed already.
  explicit MemoryMeter(torch::Device device);

  // False when the device's allocator cannot be counted (a CPU allocator
  // that refused to be replaced, a CUDA device in a build without CUDA):
  // every figure is then 0 and the trainer reports none.
  bool measures() const { return measures_; }
  int64_t allocated_bytes() const;

  // Starts a window: the device peak restarts at the bytes allocated now
  // (returned); the peak since the last take_peak_bytes keeps what it saw.
  int64_t begin_window();
  // The most bytes allocated since begin_window.
  int64_t window_peak_bytes() const;

  // The most bytes allocated since the last call (or since the meter was
  // made), then counting starts afresh from the bytes allocated now.
  int64_t take_peak_bytes();

 private:
  torch::Device device_;
  bool measures_ = false;
  int64_t peak_before_window_ = 0;  // of the time before the current window, since the last take
};

}  // namespace sprout::backend
