// SPDX-License-Identifier: GPL-3.0-or-later
// Cumulative energy of this process's device, from the best source present
// (docs/references.md "Energy and carbon"): NVML's total-energy counter on an
// NVIDIA GPU (libnvidia-ml.so.1 loaded with dlopen, nothing linked), Intel
// RAPL package counters when readable, else a model: the hardware profile's
// power (planner::gpu_power_w) times wall time.
#pragma once

#include <memory>
#include <string>

namespace sprout::backend {

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  virtual const char* source() const = 0;  // "nvml" | "rapl" | "model"
  // Joules since the meter was created.
  virtual double joules() = 0;
  // True when it reads the whole machine (RAPL packages), not this rank's
  // device: ranks sharing a node then count it once.
  virtual bool measures_whole_node() const { return false; }
};

// use_gpu: the run trains on CUDA device `gpu_index` (try NVML first).
// model_power_w: the fallback's constant power.
std::unique_ptr<EnergyMeter> make_energy_meter(bool use_gpu, int gpu_index, double model_power_w);

// The model meter alone (tests, and runs that ask for it).
std::unique_ptr<EnergyMeter> make_model_energy_meter(double power_w);

}  // namespace sprout::backend
