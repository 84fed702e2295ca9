// SPDX-License-Identifier: GPL-3.0-or-later
// Whether this machine's CPUs are equally fast just now. A virtual machine's
// vCPUs need not be: on the 2-vCPU VM of docs/compare.md ("Ninth run"), a
// 1-element add through autograd took 6.2 us on one and, for stretches of
// tens of seconds to minutes, 9.9 on the other; a process's thread stays on
// the vCPU it starts on, so a profile (or a training) that starts on the
// slow one is slow throughout. `sprout profile` times its dispatch probe on
// each CPU and says so when they differ.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sprout::backend {

// The CPUs this thread may run on, at most `limit`, spread evenly over them.
std::vector<int> allowed_cpus(int limit);

// Runs `run` with the calling thread on `cpu` alone, then gives the thread
// back the CPUs it had (also when `run` throws). False, without running it,
// when the thread cannot be placed there.
bool run_on_cpu(int cpu, const std::function<void()>& run);

struct CpuTiming {
  int cpu;
  double us;  // a kernel's dispatch overhead with the thread there
};

// Above this ratio of the slowest CPU's timing to the fastest's, a profile
// warns (the two vCPUs of docs/compare.md: 1.6x; a quiet machine: within 10%).
constexpr double kUnevenCpuRatio = 1.3;

// Empty when the CPUs' timings are within kUnevenCpuRatio of each other;
// otherwise one line saying which CPU was how much slower, and what to do.
std::string uneven_cpus_warning(const std::vector<CpuTiming>& timings);

// "CPU 0 1.95 us, CPU 1 3.30 us": the timings for a profile's source comment.
std::string describe_cpu_timings(const std::vector<CpuTiming>& timings);

}  // namespace sprout::backend
