// SPDX-License-Identifier: GPL-3.0-or-later
// SplitMix64 (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number
// generators", OOPSLA; the finaliser is Stafford's Mix13): a generator whose
// state advances by the golden-ratio increment and whose output is that state,
// mixed. Used as a counter-based hash wherever sprout needs a random stream
// that depends only on (seed, index): the trainer's data order and dropout
// masks, the simulator's Monte Carlo trials. Changing it changes every
// stream (tests compare losses bitwise). docs/references.md "Random streams".
#pragma once

#include <cstdint>

namespace sprout::planner {

// The state increment: 2^64 / golden ratio, odd.
inline constexpr std::uint64_t kSplitMix64Increment = 0x9e3779b97f4a7c15ULL;

// The first output of a generator whose state is `x`: mix(x + increment).
// splitmix64(0) == 0xe220a8397b1dcdaf.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += kSplitMix64Increment;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Output number `index` (0-based) of the generator seeded with `seed`, without
// stepping through the ones before it.
constexpr std::uint64_t splitmix64_output(std::uint64_t seed, std::uint64_t index) {
  return splitmix64(seed + kSplitMix64Increment * index);
}

}  // namespace sprout::planner
