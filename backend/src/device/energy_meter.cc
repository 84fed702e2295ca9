// SPDX-License-Identifier: GPL-3.0-or-later
#include "device/energy_meter.h"

#include <dlfcn.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "device/stopwatch.h"

namespace sprout::backend {
namespace {

class ModelMeter final : public EnergyMeter {
 public:
  explicit ModelMeter(double watts) : watts_(watts), start_(Clock::now()) {}
  const char* source() const override { return "model"; }
  double joules() override { return watts_ * seconds_since(start_); }

 private:
  double watts_;
  Clock::time_point start_;
};

// NVML through dlopen: the CPU build must not link it, and a GPU node may
// lack it. nvmlDeviceGetTotalEnergyConsumption reports mJ since driver load
// (Volta and newer).
class NvmlMeter final : public EnergyMeter {
 public:
  static std::unique_ptr<NvmlMeter> open(int index) {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return nullptr;
    auto m = std::unique_ptr<NvmlMeter>(new NvmlMeter(lib));
    auto init = reinterpret_cast<int (*)()>(dlsym(lib, "nvmlInit_v2"));
    auto handle = reinterpret_cast<int (*)(unsigned, void**)>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    m->energy_ =
        reinterpret_cast<int (*)(void*, unsigned long long*)>(dlsym(lib, "nvmlDeviceGetTotalEnergyConsumption"));
    if (!init || !handle || !m->energy_ || init() != 0) return nullptr;
    if (handle(static_cast<unsigned>(index), &m->device_) != 0) return nullptr;
    if (m->read(m->start_mj_) != 0) return nullptr;
    return m;
  }
  ~NvmlMeter() override { dlclose(lib_); }
  const char* source() const override { return "nvml"; }
  double joules() override {
    unsigned long long now = start_mj_;
    read(now);
    return static_cast<double>(now - start_mj_) / 1000.0;
  }

 private:
  explicit NvmlMeter(void* lib) : lib_(lib) {}
  int read(unsigned long long& mj) { return energy_(device_, &mj); }
  void* lib_;
  void* device_ = nullptr;
  int (*energy_)(void*, unsigned long long*) = nullptr;
  unsigned long long start_mj_ = 0;
};

// Intel RAPL package domains (intel-rapl:N, not the :N:M sub-domains), with
// counter wrap-around handled by max_energy_range_uj.
class RaplMeter final : public EnergyMeter {
 public:
  static std::unique_ptr<RaplMeter> open() {
    auto m = std::unique_ptr<RaplMeter>(new RaplMeter());
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/powercap", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("intel-rapl:", 0) != 0 || name.find(':', 11) != std::string::npos) continue;
      Domain d{e.path() / "energy_uj", 0, 0};
      double range = 0;
      if (!read_number(e.path() / "max_energy_range_uj", range) || !read_number(d.file, d.last)) continue;
      d.range = range;
      m->domains_.push_back(d);
    }
    if (m->domains_.empty()) return nullptr;
    return m;
  }
  const char* source() const override { return "rapl"; }
  bool measures_whole_node() const override { return true; }
  double joules() override {
    for (auto& d : domains_) {
      double now = 0;
      if (!read_number(d.file, now)) continue;
      double delta = now - d.last;
      if (delta < 0) delta += d.range;  // wrapped
      total_uj_ += delta;
      d.last = now;
    }
    return total_uj_ / 1e6;
  }

 private:
  struct Domain {
    std::filesystem::path file;
    double last;
    double range;
  };
  static bool read_number(const std::filesystem::path& p, double& out) {
    std::ifstream in(p);
    return static_cast<bool>(in >> out);
  }
  std::vector<Domain> domains_;
  double total_uj_ = 0;
};

}  // namespace

std::unique_ptr<EnergyMeter> make_model_energy_meter(double power_w) { return std::make_unique<ModelMeter>(power_w); }

std::unique_ptr<EnergyMeter> make_energy_meter(bool use_gpu, int gpu_index, double model_power_w) {
  if (use_gpu) {
    if (auto m = NvmlMeter::open(gpu_index)) return m;
  } else if (auto m = RaplMeter::open()) {
    return m;
  }
  return make_model_energy_meter(model_power_w);
}

}  // namespace sprout::backend
