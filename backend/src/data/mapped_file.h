// SPDX-License-Identifier: GPL-3.0-or-later
// A file mapped read-only into memory (POSIX mmap), unmapped with the object.
// Token shards and Megatron-LM datasets are read through it: a batch touches
// only the pages of its windows, and no dataset is loaded whole or widened
// (docs/backend.md "Data").
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

namespace sprout::backend {

class MappedFile {
 public:
  // Throws planner::InputError {path, field, reason} when the file cannot be
  // opened or mapped. An empty file maps to no bytes.
  explicit MappedFile(const std::string& path, const std::string& field = "data");
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  const unsigned char* bytes() const { return static_cast<const unsigned char*>(base_); }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // A little-endian value at `offset` (any alignment: Megatron's index puts
  // its int32 and int64 arrays at odd offsets). The caller checks the bounds.
  template <typename T>
  T load(size_t offset) const {
    T v;
    std::memcpy(&v, bytes() + offset, sizeof(T));
    return v;
  }

  // Drops the pages of [offset, offset + length) from this process (they
  // stay in the kernel's page cache): a scan over the whole file then leaves
  // no resident memory behind.
  void release(size_t offset, size_t length) const;

 private:
  void unmap();
  std::string path_;
  void* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace sprout::backend
