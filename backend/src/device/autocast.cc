// SPDX-License-Identifier: GPL-3.0-or-later
#include "device/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace sprout::backend {
namespace {

// at::autocast's per-device switches were renamed in libtorch 2.4
// (set_autocast_enabled(device_type, ...)); 1.13 .. 2.3 have the CPU/CUDA pair.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
void set_enabled(bool cuda, bool on) {
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
  if (on) at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, at::kBFloat16);
}
bool is_enabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
#else
void set_enabled(bool cuda, bool on) {
  if (cuda) {
    at::autocast::set_enabled(on);
    if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  } else {
    at::autocast::set_cpu_enabled(on);
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
}
bool is_enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
#endif

}  // namespace

bool autocast_enabled(torch::Device device) { return is_enabled(device.is_cuda()); }

AutocastGuard::AutocastGuard(bool enabled, torch::Device device) : enabled_(enabled), cuda_(device.is_cuda()) {
  if (enabled_) set_enabled(cuda_, true);
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  set_enabled(cuda_, false);
  at::autocast::clear_cache();
}

}  // namespace sprout::backend
