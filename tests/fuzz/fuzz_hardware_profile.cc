// SPDX-License-Identifier: GPL-3.0-or-later
// A hardware profile (profiles/hardware/*.yaml), read from a path only. One
// that loads is also merged (`sprout profile --merge`) with a measured
// profile, each way round: the first's comments are parsed for sources, the
// second is walked against the first. Only those: merging every input, most
// of which do not load, cut the executions tenfold.
#include "fuzz_support.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/profile_median.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sprout::fuzz::MemoryFile file;
  static const std::string measured =
      std::string(SPROUT_SOURCE_DIR) + "/tests/fuzz/corpus/hardware_profile/cpu-sprout-profile-two-dtypes.yaml";
  const std::string path = file.hold(sprout::fuzz::bytes_of(data, size));
  bool loads = false;
  sprout::fuzz::expect_only_input_errors([&] {
    (void)sprout::planner::load_hardware_profile(path);
    loads = true;
  });
  if (!loads) return 0;
  using sprout::planner::median_of_profiles;
  sprout::fuzz::expect_only_input_errors([&] { (void)median_of_profiles({path, measured}, "merged"); });
  return sprout::fuzz::expect_only_input_errors([&] { (void)median_of_profiles({measured, path}, "merged"); });
}
