// SPDX-License-Identifier: GPL-3.0-or-later
// Named tensors in one flat file (the payload of a checkpoint): a record per
// tensor, so a loader can pick single parameters (sharded loading later) and
// the bytes do not depend on the libtorch version (docs/backend.md).
//
//   "SPROUTTA" | u32 version 1 | u64 record count
//   per record: u32 name length | name | u8 dtype (0 f32, 1 u8, 2 i64, 3 f64, 4 bf16)
//               | u32 rank | i64 sizes[rank] | u64 byte count | raw bytes (little-endian)
#pragma once

#include <torch/types.h>

#include <string>

#include "model/named_tensors.h"

namespace sprout::backend {

// Writes `path` and fsyncs it (the caller renames the directory around it).
void write_tensor_archive(const std::string& path, const NamedTensors& tensors);

// Throws std::runtime_error naming the file for truncation or a bad record.
NamedTensors read_tensor_archive(const std::string& path);

// The same from the file's bytes already in memory (`path` names it in errors):
// a loader that checks a file's CRC parses the bytes it checked, reading it once.
NamedTensors parse_tensor_archive(std::string bytes, const std::string& path);

}  // namespace sprout::backend
