// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/tensor_archive.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "data/byte_append.h"
#include "data/crc32.h"
#include "sprout/planner/base/file_io.h"

namespace sprout::backend {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'R', 'O', 'U', 'T', 'T', 'A'};
constexpr uint32_t kVersion = 2;  // 2: a CRC-32 per record

// The archive's version: 1 or 2; throws for anything else.
uint32_t checked_version(uint32_t version, const std::string& path) {
  if (version != 1 && version != kVersion) throw std::runtime_error(path + ": unsupported tensor archive version");
  return version;
}

// A version 1 record has no CRC-32 (`checked` false).
void check_record_crc(std::string_view bytes, bool checked, uint32_t want, const std::string& path,
                      const std::string& name) {
  if (checked && crc32_of(bytes) != want) {
    throw std::runtime_error(path + ": tensor " + name + " fails its CRC-32 (corrupt)");
  }
}

uint8_t dtype_code(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32:
      return 0;
    case torch::kUInt8:
      return 1;
    case torch::kInt64:
      return 2;
    case torch::kFloat64:
      return 3;
    case torch::kBFloat16:
      return 4;
    default:
      throw std::invalid_argument(fmt::format("tensor archive: unsupported dtype {}", c10::toString(t)));
  }
}

torch::ScalarType dtype_of(uint8_t code, const std::string& path) {
  switch (code) {
    case 0:
      return torch::kFloat32;
    case 1:
      return torch::kUInt8;
    case 2:
      return torch::kInt64;
    case 3:
      return torch::kFloat64;
    case 4:
      return torch::kBFloat16;
    default:
      throw std::runtime_error(fmt::format("{}: unknown dtype code {}", path, code));
  }
}

// The bytes a record of `sizes` x `dtype` holds, checked before anything is
// allocated: a corrupt header's negative size or a count beyond uint64 throws
// (torch::empty would throw c10::Error, or allocate what the file cannot hold).
uint64_t record_bytes(const std::vector<int64_t>& sizes, torch::ScalarType dtype, const std::string& path,
                      const std::string& name) {
  uint64_t bytes = c10::elementSize(dtype);
  for (int64_t s : sizes) {
    if (s < 0) throw std::runtime_error(path + ": negative size for " + name);
    const auto u = static_cast<uint64_t>(s);
    if (u != 0 && bytes > std::numeric_limits<uint64_t>::max() / u) {
      throw std::runtime_error(path + ": size mismatch for " + name);
    }
    bytes *= u;
  }
  return bytes;
}

class Reader {
 public:
  Reader(std::string bytes, std::string path) : bytes_(std::move(bytes)), path_(std::move(path)) {}
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  const char* take(size_t n) {
    if (n > bytes_.size() - at_) throw std::runtime_error(path_ + ": truncated tensor archive");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  std::string bytes_;
  std::string path_;
  size_t at_ = 0;
};

}  // namespace

void write_tensor_archive(const std::string& path, const NamedTensors& tensors) {
  std::string out;
  out.append(kMagic, sizeof(kMagic));
  append_bytes<uint32_t>(out, kVersion);
  append_bytes<uint64_t>(out, tensors.size());
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    append_bytes<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    append_bytes<uint8_t>(out, dtype_code(t.scalar_type()));
    append_bytes<uint32_t>(out, static_cast<uint32_t>(t.dim()));
    for (int64_t s : t.sizes()) append_bytes<int64_t>(out, s);
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    append_bytes<uint64_t>(out, nbytes);
    const std::string_view raw(static_cast<const char*>(t.data_ptr()), nbytes);
    append_bytes<uint32_t>(out, crc32_of(raw));
    out.append(raw);
  }
  planner::write_file_synced(path, out);
}

NamedTensors read_tensor_archive(const std::string& path) {
  return parse_tensor_archive(planner::read_file(path), path);
}

NamedTensors parse_tensor_archive(std::string bytes, const std::string& path) {
  Reader r(std::move(bytes), path);
  if (std::memcmp(r.take(sizeof(kMagic)), kMagic, sizeof(kMagic)) != 0) {
    throw std::runtime_error(path + ": not a sprout tensor archive");
  }
  const uint32_t version = checked_version(r.get<uint32_t>(), path);
  const auto count = r.get<uint64_t>();
  NamedTensors out;
  for (uint64_t i = 0; i < count; ++i) {
    const auto name_len = r.get<uint32_t>();
    std::string name(r.take(name_len), name_len);
    const auto dtype = dtype_of(r.get<uint8_t>(), path);
    const auto rank = r.get<uint32_t>();
    if (rank > 16) throw std::runtime_error(path + ": bad tensor rank for " + name);
    std::vector<int64_t> sizes;
    for (uint32_t d = 0; d < rank; ++d) sizes.push_back(r.get<int64_t>());
    const auto nbytes = r.get<uint64_t>();
    const uint32_t crc = version >= 2 ? r.get<uint32_t>() : 0;
    if (nbytes != record_bytes(sizes, dtype, path, name)) {
      throw std::runtime_error(path + ": size mismatch for " + name);
    }
    const char* raw = r.take(nbytes);
    check_record_crc({raw, nbytes}, version >= 2, crc, path, name);
    torch::Tensor t = torch::empty(sizes, dtype);
    // An empty tensor has no storage (data_ptr() is null): memcpy of null is undefined even for 0 bytes.
    if (nbytes > 0) std::memcpy(t.data_ptr(), raw, nbytes);
    out.emplace_back(std::move(name), std::move(t));
  }
  if (!r.done()) throw std::runtime_error(path + ": trailing bytes after the last tensor");
  return out;
}

namespace {

// Reads fixed-size fields from a stream, throwing on truncation.
class StreamReader {
 public:
  explicit StreamReader(const std::string& path) : in_(path, std::ios::binary), path_(path) {
    if (!in_) throw std::runtime_error(path + ": cannot open tensor archive");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
    in_.seekg(0);
  }
  std::string take(uint64_t n) {
    if (n > size_ - at_) throw std::runtime_error(path_ + ": truncated tensor archive");
    std::string out(n, '\0');
    in_.read(out.data(), static_cast<std::streamsize>(n));
    at_ += n;
    return out;
  }
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)).data(), sizeof(T));
    return v;
  }
  void skip(uint64_t n) {
    if (n > size_ - at_) throw std::runtime_error(path_ + ": truncated tensor archive");
    at_ += n;
    in_.seekg(static_cast<std::streamoff>(at_));
  }
  uint64_t at() const { return at_; }
  bool done() const { return at_ == size_; }

 private:
  std::ifstream in_;
  std::string path_;
  uint64_t size_ = 0;
  uint64_t at_ = 0;
};

}  // namespace

std::vector<ArchiveRecord> index_tensor_archive(const std::string& path) {
  StreamReader r(path);
  if (r.take(sizeof(kMagic)) != std::string(kMagic, sizeof(kMagic))) {
    throw std::runtime_error(path + ": not a sprout tensor archive");
  }
  const uint32_t version = checked_version(r.get<uint32_t>(), path);
  const auto count = r.get<uint64_t>();
  std::vector<ArchiveRecord> out;
  for (uint64_t i = 0; i < count; ++i) {
    ArchiveRecord rec;
    rec.path = path;
    rec.name = r.take(r.get<uint32_t>());
    rec.dtype = dtype_of(r.get<uint8_t>(), path);
    const auto rank = r.get<uint32_t>();
    if (rank > 16) throw std::runtime_error(path + ": bad tensor rank for " + rec.name);
    for (uint32_t d = 0; d < rank; ++d) rec.sizes.push_back(r.get<int64_t>());
    rec.nbytes = r.get<uint64_t>();
    if (version >= 2) rec.crc32 = r.get<uint32_t>();
    if (rec.nbytes != record_bytes(rec.sizes, rec.dtype, path, rec.name)) {
      throw std::runtime_error(path + ": size mismatch for " + rec.name);
    }
    rec.offset = r.at();
    r.skip(rec.nbytes);
    out.push_back(std::move(rec));
  }
  if (!r.done()) throw std::runtime_error(path + ": trailing bytes after the last tensor");
  return out;
}

torch::Tensor read_archive_record(const ArchiveRecord& record) {
  std::ifstream in(record.path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(record.offset));
  torch::Tensor t = torch::empty(record.sizes, record.dtype);
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(record.nbytes));
  if (!in) throw std::runtime_error(record.path + ": truncated tensor archive at " + record.name);
  check_record_crc({static_cast<const char*>(t.data_ptr()), record.nbytes}, record.crc32.has_value(),
                   record.crc32.value_or(0), record.path, record.name);
  return t;
}

}  // namespace sprout::backend
