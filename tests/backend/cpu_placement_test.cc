// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s check that the machine's CPUs are equally fast
// (probe/cpu_placement.h): the thread placed and given back, and the warning
// given exactly when one CPU is more than kUnevenCpuRatio slower.
#include "probe/cpu_placement.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <stdexcept>

namespace sprout::backend {
namespace {

TEST(CpuPlacement, RunsOnEachAllowedCpuAndGivesTheThreadItsCpusBack) {
  const std::vector<int> cpus = allowed_cpus(0);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  sched_getaffinity(0, sizeof(mask), &mask);  // this thread's
  ASSERT_EQ(static_cast<int>(cpus.size()), CPU_COUNT(&mask));
  for (const int cpu : cpus) {
    int ran_on = -1;
    EXPECT_TRUE(run_on_cpu(cpu, [&] { ran_on = sched_getcpu(); }));
    EXPECT_EQ(ran_on, cpu);
    EXPECT_EQ(allowed_cpus(0), cpus) << "after CPU " << cpu;
  }
  EXPECT_THROW(run_on_cpu(cpus.front(), [] { throw std::runtime_error("probe failed"); }), std::runtime_error);
  EXPECT_EQ(allowed_cpus(0), cpus);
  // A CPU the thread may not use: not placed there, `run` not called.
  bool ran = false;
  EXPECT_FALSE(run_on_cpu(CPU_SETSIZE + 1, [&] { ran = true; }));
  EXPECT_FALSE(ran);
  // A limit spreads the CPUs taken over the allowed ones.
  const std::vector<int> one = allowed_cpus(1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.front(), cpus.front());
}

TEST(CpuPlacement, WarnsWhenOneCpuIsMoreThanThirtyPercentSlower) {
  // This VM's two vCPUs in a slow stretch (docs/compare.md "Ninth run"): the
  // profile's dispatch probe at 1.95 and 3.30 us a kernel.
  const std::string warning = uneven_cpus_warning({{0, 1.95}, {1, 3.30}});
  EXPECT_NE(warning.find("CPU 1 ran the dispatch probe 1.7x slower than CPU 0 (3.30 against 1.95 us"),
            std::string::npos)
      << warning;
  EXPECT_NE(warning.find("sprout profile --merge"), std::string::npos);
  EXPECT_EQ(warning.find('\n'), std::string::npos);
  // The slow one named wherever it is among several.
  EXPECT_NE(uneven_cpus_warning({{0, 2.0}, {2, 2.1}, {4, 2.7}, {6, 2.0}}).find("CPU 4 ran"), std::string::npos);
  // Within the ratio, or a single CPU: nothing to say.
  EXPECT_EQ(uneven_cpus_warning({{0, 2.0}, {1, 2.0 * kUnevenCpuRatio * 0.99}}), "");
  EXPECT_EQ(uneven_cpus_warning({{0, 2.0}}), "");
  EXPECT_EQ(uneven_cpus_warning({}), "");
  EXPECT_EQ(describe_cpu_timings({{0, 1.95}, {1, 3.3}}), "CPU 0 1.95 us, CPU 1 3.30 us");
}

}  // namespace
}  // namespace sprout::backend
