// SPDX-License-Identifier: GPL-3.0-or-later
#include "device/memory_meter.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#ifdef SPROUT_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace sprout::backend {
namespace {

// LibTorch 2.3 made Allocator::allocate non-const and added copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define SPROUT_ALLOCATE_CONST
#define SPROUT_ALLOCATOR_COPY_DATA 1
#else
#define SPROUT_ALLOCATE_CONST const
#define SPROUT_ALLOCATOR_COPY_DATA 0
#endif

// LibTorch's CPU allocator with a count of the bytes in use and their peak.
// LibTorch's kernels also use the raw interface (raw_allocate and
// raw_deallocate, e.g. for scratch buffers), which needs a DataPtr whose
// context is its data and a plain deleter function: so the sizes are kept
// in a table by address, and the deleter looks them up.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  // Null unless `inner` supports the raw interface itself.
  static CountingCpuAllocator* wrap(c10::Allocator* inner) {
    if (inner == nullptr || inner->raw_deleter() == nullptr) return nullptr;
    instance_ = new CountingCpuAllocator(inner);
    return instance_;
  }

  c10::DataPtr allocate(size_t bytes) SPROUT_ALLOCATE_CONST override {
    void* data = inner_->raw_allocate(bytes);
    if (data != nullptr) {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[data] = static_cast<int64_t>(bytes);
      add(static_cast<int64_t>(bytes));
    }
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

#if SPROUT_ALLOCATOR_COPY_DATA
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif

  int64_t now() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  int64_t peak() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_ = now_;
  }

 private:
  explicit CountingCpuAllocator(c10::Allocator* inner) : inner_(inner), inner_delete_(inner->raw_deleter()) {}

  static void release(void* data) {
    if (data == nullptr) return;
    CountingCpuAllocator& self = *instance_;
    {
      std::lock_guard<std::mutex> lock(self.mutex_);
      const auto it = self.sizes_.find(data);
      if (it != self.sizes_.end()) {
        self.add(-it->second);
        self.sizes_.erase(it);
      }
    }
    self.inner_delete_(data);
  }

  // Under mutex_.
  void add(int64_t bytes) const {
    now_ += bytes;
    peak_ = std::max(peak_, now_);
  }

  static inline CountingCpuAllocator* instance_ = nullptr;  // the one process-wide wrapper (release needs it)
  c10::Allocator* inner_;
  c10::DeleterFnPtr inner_delete_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, int64_t> sizes_;  // bytes of every live allocation
  mutable int64_t now_ = 0;
  mutable int64_t peak_ = 0;
};

// The process's counting allocator, installed at the first call; null when
// LibTorch kept another one (a CPU allocator set with a higher priority, or
// one without the raw interface). Never destroyed: tensors it allocated may
// outlive every other object.
CountingCpuAllocator* cpu_counter() {
  static CountingCpuAllocator* const counter = [] {
    CountingCpuAllocator* c = CountingCpuAllocator::wrap(c10::GetCPUAllocator());
    if (c == nullptr) return c;
    c10::SetCPUAllocator(c, /*priority=*/1);
    return c10::GetCPUAllocator() == c ? c : nullptr;
  }();
  return counter;
}

struct DeviceBytes {
  int64_t now = 0;
  int64_t peak = 0;
};

DeviceBytes read_device(torch::Device device) {
  if (device.is_cpu()) {
    const CountingCpuAllocator* c = cpu_counter();
    return c ? DeviceBytes{c->now(), c->peak()} : DeviceBytes{};
  }
#ifdef SPROUT_CUDA
  // allocated_bytes[0]: StatType::AGGREGATE (all pools).
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return {stats.allocated_bytes[0].current, stats.allocated_bytes[0].peak};
#else
  return {};
#endif
}

void reset_device_peak(torch::Device device) {
  if (device.is_cpu()) {
    if (CountingCpuAllocator* c = cpu_counter()) c->reset_peak();
    return;
  }
#ifdef SPROUT_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
}

}  // namespace

MemoryMeter::MemoryMeter(torch::Device device) : device_(device) {
#ifdef SPROUT_CUDA
  measures_ = device.is_cpu() ? cpu_counter() != nullptr : device.is_cuda();
#else
  measures_ = device.is_cpu() && cpu_counter() != nullptr;
#endif
  if (measures_) reset_device_peak(device_);
}

int64_t MemoryMeter::allocated_bytes() const { return measures_ ? read_device(device_).now : 0; }

int64_t MemoryMeter::begin_window() {
  if (!measures_) return 0;
  peak_before_window_ = std::max(peak_before_window_, read_device(device_).peak);
  reset_device_peak(device_);
  return read_device(device_).now;
}

int64_t MemoryMeter::window_peak_bytes() const { return measures_ ? read_device(device_).peak : 0; }

int64_t MemoryMeter::take_peak_bytes() {
  if (!measures_) return 0;
  const int64_t peak = std::max(peak_before_window_, read_device(device_).peak);
  peak_before_window_ = 0;
  reset_device_peak(device_);
  return peak;
}

}  // namespace sprout::backend
