// SPDX-License-Identifier: GPL-3.0-or-later
// Named tensors in one flat file (the payload of a checkpoint): a record per
// tensor, so a loader can pick single parameters (sharded loading later) and
// the bytes do not depend on the libtorch version (docs/backend.md).
//
//   "SPROUTTA" | u32 version 2 | u64 record count
//   per record: u32 name length | name | u8 dtype (0 f32, 1 u8, 2 i64, 3 f64, 4 bf16)
//               | u32 rank | i64 sizes[rank] | u64 byte count | u32 CRC-32 of the raw bytes
//               | raw bytes (little-endian)
// Version 1 (read still) has no per-record CRC-32. The record's CRC lets a
// rank that reads only some records of a file (a shard-local resume) check
// what it read without reading the whole file.
#pragma once

#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "model/named_tensors.h"

namespace sprout::backend {

// Writes `path` and fsyncs it (the caller renames the directory around it).
void write_tensor_archive(const std::string& path, const NamedTensors& tensors);

// Throws std::runtime_error naming the file for truncation or a bad record.
NamedTensors read_tensor_archive(const std::string& path);

// The same from the file's bytes already in memory (`path` names it in errors):
// a loader that checks a file's CRC parses the bytes it checked, reading it once.
NamedTensors parse_tensor_archive(std::string bytes, const std::string& path);

// Where one record's bytes lie, so a reader can load one tensor at a time.
struct ArchiveRecord {
  std::string path;
  std::string name;
  torch::ScalarType dtype = torch::kFloat32;
  std::vector<int64_t> sizes;
  uint64_t offset = 0;  // of the raw bytes in the file
  uint64_t nbytes = 0;
  std::optional<uint32_t> crc32;  // of the raw bytes (version 2 archives)
};

// The records of `path`, reading their headers only (seeking past the data).
// Throws std::runtime_error naming the file as read_tensor_archive does.
std::vector<ArchiveRecord> index_tensor_archive(const std::string& path);

// The one tensor of `record`, read from its file; throws std::runtime_error
// naming the file and the record when its bytes fail their CRC-32.
torch::Tensor read_archive_record(const ArchiveRecord& record);

}  // namespace sprout::backend
