// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile --merge A B C --out M`: the median of profiles measured
// before, written as a profile the planner reads (no LibTorch needed), and
// refused in one line where the profiles measured other sizes.
#include <gtest/gtest.h>

#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout {
namespace {

const std::string kMeasured =
    test::source_path("tests/fuzz/corpus/hardware_profile/cpu-sprout-profile-two-dtypes.yaml");

// The measured profile on a machine `speed` times as fast: its copy bandwidth.
std::string copy_at_speed(const std::string& dir, const std::string& name, double speed) {
  planner::HardwareProfile hw = planner::load_hardware_profile(kMeasured);
  hw.hbm_gb_per_s *= speed;
  const std::string path = dir + "/" + name + ".yaml";
  planner::write_file_atomically(path, planner::hardware_profile_to_yaml(hw, {}, "measured"));
  return path;
}

TEST(CliProfileMerge, WritesTheMedianProfileThePlannerReads) {
  const std::string dir = test::make_temp_dir("cli-merge");
  const double measured = planner::load_hardware_profile(kMeasured).hbm_gb_per_s;
  const std::string merged = dir + "/this-machine.yaml";
  const auto r =
      test::run_command(test::sprout_cmd() + " profile --merge " + copy_at_speed(dir, "a", 0.4) + " " +
                        copy_at_speed(dir, "b", 1.1) + " " + copy_at_speed(dir, "c", 3.0) + " --out " + merged);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("the median of 3 profiles"), std::string::npos) << r.out;
  const planner::HardwareProfile hw = planner::load_hardware_profile(merged);
  EXPECT_EQ(hw.name, "this-machine");
  EXPECT_NEAR(hw.hbm_gb_per_s, 1.1 * measured, 1e-9 * measured);
  const auto plan = test::run_command(test::sprout_cmd() + " plan " +
                                      test::source_path("plans/cpu-matrix/gelu-mha-fp32-learned.yaml") +
                                      " --hardware " + merged + " --no-baseline");
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
}

TEST(CliProfileMerge, ProfilesOfOtherSizesExitTwoNamingTheLine) {
  const std::string dir = test::make_temp_dir("cli-merge-bad");
  planner::HardwareProfile hw = planner::load_hardware_profile(kMeasured);
  hw.trainer_ns_per_element.at("swiglu")[0].elements /= 4;  // a full profile's smaller size
  const std::string other = dir + "/other.yaml";
  planner::write_file_atomically(other, planner::hardware_profile_to_yaml(hw, {}, "measured"));
  const auto r = test::run_command(test::sprout_cmd() + " profile --merge " + kMeasured + " " + other + " --out " +
                                   dir + "/m.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: " + other + ":", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("trainer_ns_per_element.swiglu[0].elements: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/m.yaml"));
  // One profile is no median; a measuring option with --merge is a mistake.
  EXPECT_EQ(
      test::run_command(test::sprout_cmd() + " profile --merge " + kMeasured + " --out " + dir + "/m.yaml").exit_code,
      2);
  EXPECT_EQ(test::run_command(test::sprout_cmd() + " profile --quick --merge " + kMeasured + " " + kMeasured +
                              " --out " + dir + "/m.yaml")
                .exit_code,
            2);
}

}  // namespace
}  // namespace sprout
