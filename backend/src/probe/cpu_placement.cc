// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/cpu_placement.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace sprout::backend {
namespace {

cpu_set_t this_thread_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
  return set;
}

class PinnedToCpu {
 public:
  explicit PinnedToCpu(int cpu) : saved_(this_thread_cpus()) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
  }
  ~PinnedToCpu() {
    if (pinned_) pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_);
  }
  bool pinned() const { return pinned_; }
  PinnedToCpu(const PinnedToCpu&) = delete;
  PinnedToCpu& operator=(const PinnedToCpu&) = delete;

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

}  // namespace

std::vector<int> allowed_cpus(int limit) {
  const cpu_set_t set = this_thread_cpus();
  std::vector<int> allowed;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) allowed.push_back(cpu);
  }
  if (limit <= 0 || allowed.size() <= static_cast<size_t>(limit)) return allowed;
  std::vector<int> spread;
  for (size_t i = 0; i < static_cast<size_t>(limit); ++i) spread.push_back(allowed[allowed.size() * i / limit]);
  return spread;
}

bool run_on_cpu(int cpu, const std::function<void()>& run) {
  const PinnedToCpu placement(cpu);
  if (!placement.pinned()) return false;
  run();
  return true;
}

std::string uneven_cpus_warning(const std::vector<CpuTiming>& timings) {
  if (timings.size() < 2) return "";
  const auto [fastest, slowest] =
      std::minmax_element(timings.begin(), timings.end(), [](const auto& a, const auto& b) { return a.us < b.us; });
  const double ratio = slowest->us / fastest->us;
  if (ratio <= kUnevenCpuRatio) return "";
  return fmt::format(
      "CPU {} ran the dispatch probe {:.1f}x slower than CPU {} ({:.2f} against {:.2f} us a kernel): this "
      "machine's CPUs are not equally fast just now (a shared host's vCPUs?), and a process is as fast as the CPU "
      "its thread starts on, so this profile is one draw; take several minutes apart and merge them (sprout "
      "profile --merge)",
      slowest->cpu, ratio, fastest->cpu, slowest->us, fastest->us);
}

std::string describe_cpu_timings(const std::vector<CpuTiming>& timings) {
  std::string text;
  for (const CpuTiming& t : timings) text += fmt::format("{}CPU {} {:.2f} us", text.empty() ? "" : ", ", t.cpu, t.us);
  return text;
}

}  // namespace sprout::backend
