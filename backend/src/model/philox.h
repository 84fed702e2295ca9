// SPDX-License-Identifier: GPL-3.0-or-later
// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC 2011): a keyed bijection
// of a 128-bit counter, so the n-th number is drawn without drawing the
// n - 1 before it, on any device, by any rank. Dropout masks
// (step/dropout_mask.h) and growth's new weights (model/growth_init.h) use
// it: the draw for an element is a function of the element's index in the
// full tensor and the key, nothing else.
#pragma once

#include <array>
#include <cstdint>

namespace sprout::backend {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// The round multipliers and Weyl key increments of Philox4x32 (Salmon et al.
// 2011, sec. 3.3 and Random123's philox.h).
inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
inline constexpr int kPhiloxRounds = 10;

// Ten rounds of the Philox4x32 S-box on `counter` under `key` (the key is
// bumped by the Weyl constants between rounds).
// The two 32-bit halves of a 64-bit seed, index or site, as counter and key words.
constexpr uint32_t low_word(uint64_t v) { return static_cast<uint32_t>(v); }
constexpr uint32_t high_word(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

constexpr PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  for (int round = 0; round < kPhiloxRounds; ++round) {
    if (round > 0) {
      k[0] += kPhiloxW0;
      k[1] += kPhiloxW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
  }
  return c;
}

}  // namespace sprout::backend
