// SPDX-License-Identifier: GPL-3.0-or-later
// SplitMix64 against the reference outputs of the published algorithm (Steele,
// Lea, Flood 2014; Vigna's reference splitmix64.c, state seeded with 0): any
// change here changes every random stream of the trainer and the simulator.
#include "sprout/planner/base/splitmix64.h"

#include <gtest/gtest.h>

namespace sprout::planner {
namespace {

TEST(SplitMix64, MatchesTheReferenceGeneratorSeededWithZero) {
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafULL);
  // The generator's next outputs: its state advanced by the increment each time.
  EXPECT_EQ(splitmix64(kSplitMix64Increment), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(splitmix64(2 * kSplitMix64Increment), 0x06c45d188009454fULL);
  EXPECT_EQ(splitmix64(3 * kSplitMix64Increment), 0xf88bb8a8724c81ecULL);
}

TEST(SplitMix64, OutputNIsTheNthStepOfTheGenerator) {
  std::uint64_t state = 1234;
  for (std::uint64_t n = 0; n < 5; ++n) {
    EXPECT_EQ(splitmix64_output(1234, n), splitmix64(state));
    state += kSplitMix64Increment;
  }
  EXPECT_EQ(splitmix64_output(0, 0), 0xe220a8397b1dcdafULL);
  static_assert(splitmix64(0) == 0xe220a8397b1dcdafULL, "usable at compile time");
}

}  // namespace
}  // namespace sprout::planner
