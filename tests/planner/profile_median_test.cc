// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile --merge`: several profiles of one machine as their median,
// number by number (planner/io/profile_median.h). The profiles are the
// two-precision CPU profile `sprout profile --quick --dtype bf16,fp32`
// writes, with measured numbers set apart as three profiles of a drifting
// machine would have them.
#include "sprout/planner/io/profile_median.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

const std::string kMeasured =
    test::source_path("tests/fuzz/corpus/hardware_profile/cpu-sprout-profile-two-dtypes.yaml");

// The measured profile with its copy bandwidth, the fp32 peak, one bf16
// GEMM efficiency and the fp32 RMSNorm's cost at its smallest size scaled by
// `speed` (a machine `speed` times as fast as when it was measured).
std::string profile_at_speed(const std::string& dir, const std::string& name, double speed) {
  HardwareProfile hw = load_hardware_profile(kMeasured);
  hw.hbm_gb_per_s *= speed;
  hw.gemm_efficiency[1].efficiency *= speed;
  DtypeThroughput& fp32 = hw.throughput_by_dtype.at("fp32");
  fp32.peak_tflops *= speed;
  fp32.trainer_ns_per_element.at("rms_norm")[0].ns /= speed;
  const std::string path = dir + "/" + name + ".yaml";
  write_file_atomically(path, hardware_profile_to_yaml(hw,
                                                       {{"hbm_gb_per_s", "measured: tensor copy"},
                                                        {"tdp_w", "as in the base profile"},
                                                        {"throughput_by_dtype.fp32.peak_tflops", "measured: fp32"}},
                                                       "measured"));
  return path;
}

TEST(ProfileMedian, EveryMeasuredNumberIsTheMedianOfTheProfiles) {
  const std::string dir = test::make_temp_dir("profile-median");
  const HardwareProfile measured = load_hardware_profile(kMeasured);
  // A slow minute (0.5x), the measured one and a fast one (1.25x), in no order.
  const std::vector<std::string> paths = {profile_at_speed(dir, "fast", 1.25), profile_at_speed(dir, "slow", 0.5),
                                          profile_at_speed(dir, "as-measured", 1.0)};
  const MergedProfile merged = median_of_profiles(paths, "this-machine");
  const HardwareProfile& hw = merged.profile;
  EXPECT_EQ(hw.name, "this-machine");
  EXPECT_DOUBLE_EQ(hw.hbm_gb_per_s, measured.hbm_gb_per_s);
  EXPECT_DOUBLE_EQ(hw.gemm_efficiency[1].efficiency, measured.gemm_efficiency[1].efficiency);
  EXPECT_DOUBLE_EQ(hw.gemm_efficiency[1].flops, measured.gemm_efficiency[1].flops);
  const DtypeThroughput& fp32 = hw.throughput_by_dtype.at("fp32");
  const DtypeThroughput& fp32_measured = measured.throughput_by_dtype.at("fp32");
  EXPECT_DOUBLE_EQ(fp32.peak_tflops, fp32_measured.peak_tflops);
  EXPECT_DOUBLE_EQ(fp32.trainer_ns_per_element.at("rms_norm")[0].ns,
                   fp32_measured.trainer_ns_per_element.at("rms_norm")[0].ns);
  EXPECT_EQ(hw.dtype, "bf16");
  EXPECT_NE(hw.measured.find("median of 3 profiles (fast.yaml, slow.yaml, as-measured.yaml)"), std::string::npos)
      << hw.measured;

  // Two profiles: the mean of the two.
  const HardwareProfile two = median_of_profiles({paths[0], paths[1]}, "two").profile;
  EXPECT_DOUBLE_EQ(two.hbm_gb_per_s, measured.hbm_gb_per_s * (1.25 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(two.throughput_by_dtype.at("fp32").trainer_ns_per_element.at("rms_norm")[0].ns,
                   fp32_measured.trainer_ns_per_element.at("rms_norm")[0].ns * (1 / 1.25 + 1 / 0.5) / 2);

  // A number that differed says it is a median; one the same in every
  // profile keeps its source.
  EXPECT_EQ(merged.sources.at("hbm_gb_per_s"),
            "median of 3 profiles (fast.yaml, slow.yaml, as-measured.yaml), each measured: tensor copy");
  EXPECT_EQ(merged.sources.at("throughput_by_dtype.fp32.peak_tflops"),
            "median of 3 profiles (fast.yaml, slow.yaml, as-measured.yaml), each measured: fp32");
  EXPECT_EQ(merged.sources.at("tdp_w"), "as in the base profile");

  // What it writes reads back to the same numbers.
  write_file_atomically(dir + "/merged.yaml", hardware_profile_to_yaml(hw, merged.sources, "median"));
  const HardwareProfile again = load_hardware_profile(dir + "/merged.yaml");
  EXPECT_DOUBLE_EQ(again.hbm_gb_per_s, hw.hbm_gb_per_s);
  EXPECT_DOUBLE_EQ(again.throughput_by_dtype.at("fp32").trainer_ns_per_element.at("rms_norm")[0].ns,
                   fp32.trainer_ns_per_element.at("rms_norm")[0].ns);
}

// Profiles of other options (--quick or not, other precisions) measured
// other sizes: the error names the first difference in the second file.
TEST(ProfileMedian, ProfilesOfOtherSizesOrKeysAreRefusedAtTheirLine) {
  const std::string dir = test::make_temp_dir("profile-median-bad");
  const std::string base = profile_at_speed(dir, "base", 1.0);
  // `other` merged after `first`: refused at other's line, saying `expected`.
  auto refused = [&](const std::string& first, const HardwareProfile& other, const std::string& expected) {
    const std::string path = dir + "/other.yaml";
    write_file_atomically(path, hardware_profile_to_yaml(other, {}, "measured"));
    try {
      median_of_profiles({first, path}, "x");
      ADD_FAILURE() << "merged: " << expected;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ":", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  HardwareProfile hw = load_hardware_profile(base);
  HardwareProfile larger = hw;
  larger.trainer_ns_per_element.at("gelu")[2].elements *= 4;
  refused(base, larger, "trainer_ns_per_element.gelu[2].elements: ");
  HardwareProfile more_shapes = hw;
  more_shapes.gemm_efficiency.push_back({more_shapes.gemm_efficiency.back().flops * 4, 0.9});
  refused(base, more_shapes, "gemm_efficiency: 10 rows where");
  HardwareProfile one_dtype = hw;
  one_dtype.throughput_by_dtype.clear();
  refused(base, one_dtype, "throughput_by_dtype: missing");
  // A profile of one precision and one of the other: not one machine's numbers twice.
  const std::string bf16_only = dir + "/bf16-only.yaml";
  write_file_atomically(bf16_only, hardware_profile_to_yaml(one_dtype, {}, "measured"));
  HardwareProfile fp32_only = one_dtype;
  fp32_only.dtype = "fp32";
  refused(bf16_only, fp32_only, "dtype: fp32 where");
  EXPECT_THROW(median_of_profiles({base}, "x"), InputError);
}

}  // namespace
}  // namespace sprout::planner
