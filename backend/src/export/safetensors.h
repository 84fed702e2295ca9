// SPDX-License-Identifier: GPL-3.0-or-later
// The safetensors format (huggingface/safetensors, README "Format"): an
// unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
// {"NAME": {"dtype": "F32", "shape": [...], "data_offsets": [BEGIN, END]},
//  "__metadata__": {"key": "value"}}, padded with spaces so the data starts
// 8-byte aligned, then the tensors' raw little-endian bytes: offsets are
// relative to the first byte after the header, and the tensors cover the data
// contiguously, with no hole and no overlap.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace sprout::backend {

// The header records at most this many bytes of JSON (the reference reader's
// limit: safetensors' MAX_HEADER_SIZE, 100 MB).
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "BF16", ... (safetensors' Dtype names)
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // data_offsets, relative to the first data byte
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  // by ascending begin
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // 8 + N: where tensor bytes begin in the file
};

// Bytes per element of a safetensors dtype name; 0 when the name is unknown.
uint64_t safetensors_dtype_bytes(const std::string& dtype);

// Parses and validates a whole file's first bytes: `head` holds at least the
// first 8 bytes (more are read as the header when present), `file_bytes` is
// the file's size. Checks the length prefix, the JSON, every field of every
// entry (dtype known, shape non-negative, end - begin = elements x dtype
// size), the data covered exactly once and ending at the file's end. Throws
// planner::InputError "PATH: FIELD: what is wrong" (exit 2) and nothing else.
SafetensorsHeader parse_safetensors_header(std::span<const char> head, uint64_t file_bytes, const std::string& path);

// One tensor to write: its header entry (begin/end are filled in) and a
// producer of exactly its bytes, called once, in order, so a writer holds
// one tensor at a time.
struct SafetensorsTensorSource {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::function<std::string()> bytes;
};

// The header's bytes (length prefix, JSON, padding) for `tensors` in order.
std::string safetensors_header_bytes(const std::vector<SafetensorsTensorSource>& tensors,
                                     const std::map<std::string, std::string>& metadata);

// Writes `path` atomically (a temporary file beside it, fsynced, renamed, the
// directory fsynced): the header, then each tensor's bytes as produced.
// Throws std::runtime_error naming the tensor whose bytes disagree with its
// shape, or the path on an I/O failure; the target is untouched then.
void write_safetensors(const std::string& path, const std::vector<SafetensorsTensorSource>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace sprout::backend
