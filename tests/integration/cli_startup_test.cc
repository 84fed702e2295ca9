// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout` starts without LibTorch: only `sprout profile` measures with it,
// from a module it loads for that command (sprout/backend/profile_probe_module.h).
// Linked in, LibTorch's ~290 libraries were loaded by every command.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "test_paths.h"

namespace sprout {
namespace {

TEST(CliStartup, TheProgramLoadsNoLibTorch) {
  // What the dynamic loader would load (ldd's own mechanism), without running it.
  const auto r = test::run_command("LD_TRACE_LOADED_OBJECTS=1 " + test::sprout_cmd());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.out.find("libc.so"), std::string::npos) << r.out;  // the list is there
  EXPECT_EQ(r.out.find("libtorch"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libc10"), std::string::npos) << r.out;
}

TEST(CliStartup, AModuleThatIsNotTheProbeIsRefusedInOneLineAndNothingIsWritten) {
  // Any shared object of the build that lacks the probe's entry will do.
  const std::string other = test::binary_path("backend/libsprout_sentencepiece.so");
  if (!std::filesystem::exists(other)) GTEST_SKIP() << "built without the backend";
  const std::string dir = test::make_temp_dir("cli-probe-module");
  const auto r = test::run_command("SPROUT_PROFILE_PROBE_MODULE=" + other + " " + test::sprout_cmd() +
                                   " profile --quick --out " + dir + "/p.yaml");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err, "error: libsprout_profile_probe.so: no sprout_profile_probe_module\n");
  EXPECT_FALSE(std::filesystem::exists(dir + "/p.yaml"));
}

}  // namespace
}  // namespace sprout
