// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/crc32.h"

#include <zlib.h>

#include <algorithm>

namespace sprout::backend {

uint32_t crc32_of(std::string_view bytes) { return crc32_update(0, bytes); }

uint32_t crc32_update(uint32_t start, std::string_view bytes) {
  uLong crc = start;
  size_t at = 0;
  while (at < bytes.size()) {  // zlib takes uInt lengths
    const uInt n = static_cast<uInt>(std::min<size_t>(bytes.size() - at, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), n);
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace sprout::backend
