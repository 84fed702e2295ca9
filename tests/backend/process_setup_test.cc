// SPDX-License-Identifier: GPL-3.0-or-later
// sprout/backend/process_setup.h: glog is quieted in the running process, and
// sprout-train loads LibTorch once per start unless it must set libgomp's
// wait policy (ranks sharing the node), when it re-executes itself once.
#include "sprout/backend/process_setup.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <regex>

#include "test_paths.h"

namespace sprout::backend {
namespace {

// How many times a start of sprout-train with `environment` loaded LibTorch
// (the dynamic loader names each file it maps: LD_DEBUG=files).
int libtorch_loads(const std::string& environment) {
  const auto r = sprout::test::run_command("env -u GLOG_minloglevel -u OMP_WAIT_POLICY " + environment +
                                           " LD_DEBUG=files " + sprout::test::sprout_train_cmd() + " --version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::regex load(R"(file=libtorch_cpu\.so[.0-9]* \[0\];  needed by )");
  return static_cast<int>(
      std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), load), std::sregex_iterator()));
}

TEST(ProcessSetup, ATrainerAloneOnItsNodeLoadsLibTorchOnceAndRanksSharingItTwice) {
  EXPECT_EQ(libtorch_loads(""), 1);
  // Two ranks of a torchrun-style launch on this node: OMP_WAIT_POLICY=PASSIVE, set by one re-execution.
  EXPECT_EQ(libtorch_loads("RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500"), 2);
  // Already set by the launcher: kept, no re-execution.
  EXPECT_EQ(libtorch_loads("OMP_WAIT_POLICY=ACTIVE RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500"), 1);
}

TEST(ProcessSetup, GlogIsQuietedInTheRunningProcessUnlessTheUserSetItsLevel) {
  void* glog = ::dlopen("libglog.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (glog == nullptr) GTEST_SKIP() << "this LibTorch logs without glog";
  auto* level = static_cast<std::int32_t*>(::dlsym(glog, "_ZN3fLI17FLAGS_minloglevelE"));
  ASSERT_NE(level, nullptr);
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);  // no re-execution of this test program
  char* argv[] = {nullptr};
  ::setenv("GLOG_minloglevel", "1", 1);
  *level = 0;
  ensure_load_time_settings(argv);
  EXPECT_EQ(*level, 0) << "the user's level was overridden";
  ::unsetenv("GLOG_minloglevel");
  ensure_load_time_settings(argv);
  EXPECT_EQ(*level, 3);
  ::dlclose(glog);
}

}  // namespace
}  // namespace sprout::backend
