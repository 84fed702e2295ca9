// SPDX-License-Identifier: GPL-3.0-or-later
// CRC-32 of checkpoint files (their DONE markers list it), token shards
// (their headers hold it) and canonical plans (run ids). File reading and writing is planner/base/file_io.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace sprout::backend {

// zlib CRC-32 of a byte string.
uint32_t crc32_of(std::string_view bytes);

// The CRC-32 of (what gave `crc`) followed by `bytes`: crc32_of(a + b) ==
// crc32_update(crc32_of(a), b), crc32_of(a) == crc32_update(0, a).
uint32_t crc32_update(uint32_t crc, std::string_view bytes);

}  // namespace sprout::backend
