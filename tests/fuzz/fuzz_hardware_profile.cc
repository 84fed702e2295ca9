// SPDX-License-Identifier: GPL-3.0-or-later
// A hardware profile (profiles/hardware/*.yaml), read from a path only.
#include "fuzz_support.h"
#include "sprout/planner/io/plan_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sprout::fuzz::MemoryFile file;
  const std::string path = file.hold(sprout::fuzz::bytes_of(data, size));
  return sprout::fuzz::expect_only_input_errors([&] { (void)sprout::planner::load_hardware_profile(path); });
}
