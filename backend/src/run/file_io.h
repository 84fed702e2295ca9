// SPDX-License-Identifier: GPL-3.0-or-later
// Small POSIX file helpers for checkpoints: durable writes inside a
// directory that is renamed into place afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sprout::backend {

// Writes (truncating) and fsyncs; throws std::runtime_error naming the path.
void write_file_synced(const std::string& path, std::string_view contents);
// Throws std::runtime_error when unreadable.
std::string read_whole_file(const std::string& path);
// zlib CRC-32 of a byte string (checkpoint DONE markers).
uint32_t crc32_of(std::string_view bytes);

}  // namespace sprout::backend
