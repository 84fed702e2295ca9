// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/token_shard.h"

#include <fmt/format.h>

#include <cstring>

#include "data/byte_append.h"
#include "data/crc32.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

// CRC-32 of every byte but the CRC field's own four.
uint32_t shard_crc32(std::string_view file) {
  return crc32_update(crc32_of(file.substr(0, kShardCrcOffset)), file.substr(kShardCrcOffset + 4));
}

}  // namespace

void write_token_shard(const std::string& path, const std::vector<uint32_t>& tokens, uint32_t vocab) {
  const uint32_t width = vocab <= 65536 ? 2 : 4;
  std::string out;
  out.reserve(kShardHeaderBytes + tokens.size() * width);
  out.append(kShardMagic, sizeof(kShardMagic));
  append_bytes<uint32_t>(out, kShardVersion);
  append_bytes<uint32_t>(out, width);
  append_bytes<uint32_t>(out, vocab);
  append_bytes<uint32_t>(out, 0);
  append_bytes<uint64_t>(out, tokens.size());
  for (uint32_t t : tokens) {
    if (width == 2)
      append_bytes<uint16_t>(out, static_cast<uint16_t>(t));
    else
      append_bytes<uint32_t>(out, t);
  }
  const uint32_t crc = shard_crc32(out);
  std::memcpy(out.data() + kShardCrcOffset, &crc, sizeof(crc));
  planner::write_file_atomically(path, out);
}

TokenShard::TokenShard(const std::string& path) {
  try {
    file_ = std::make_shared<const MappedFile>(path);
  } catch (const planner::InputError& e) {
    planner::throw_file_error(path, "data", e.reason() + " (missing file? run `sprout-train prepare`)");
  }
  const MappedFile& f = *file_;
  if (f.size() < kShardHeaderBytes) {
    planner::throw_file_error(path, "header",
                              fmt::format("{} bytes is shorter than the {}-byte header", f.size(), kShardHeaderBytes));
  }
  if (std::memcmp(f.bytes(), kShardMagic, sizeof(kShardMagic)) != 0) {
    planner::throw_file_error(path, "magic", "not a sprout token shard (expected \"SPROUTTK\")");
  }
  const auto version = f.load<uint32_t>(8);
  if (version != kShardVersion && version != kShardVersionWithoutCrc) {
    planner::throw_file_error(
        path, "version",
        fmt::format("{} is not supported (expected {} or {})", version, kShardVersionWithoutCrc, kShardVersion));
  }
  const auto width = f.load<uint32_t>(12);
  if (width != 2 && width != 4) planner::throw_file_error(path, "token_bytes", fmt::format("{} must be 2 or 4", width));
  vocab_ = f.load<uint32_t>(16);
  if (vocab_ < 2 || (width == 2 && vocab_ > 65536)) {
    planner::throw_file_error(path, "vocab", fmt::format("{} does not fit {}-byte tokens", vocab_, width));
  }
  const auto count = f.load<uint64_t>(24);
  const uint64_t payload = f.size() - kShardHeaderBytes;
  if (count > payload / width || payload != count * width) {
    planner::throw_file_error(
        path, "count",
        fmt::format("header says {} tokens but the file holds {} bytes of tokens (truncated?)", count, payload));
  }
  dtype_ = width == 2 ? TokenDtype::kUint16 : TokenDtype::kUint32;
  count_ = static_cast<int64_t>(count);
  if (vocab_ <= kMaxCountedVocab) token_counts_.assign(vocab_, 0);
  scan_tokens(f, kShardHeaderBytes, dtype_, 0, count_, vocab_, token_counts_.empty() ? nullptr : &token_counts_);
  if (version == kShardVersion) {
    const std::string_view bytes(reinterpret_cast<const char*>(f.bytes()), f.size());
    const auto stored = f.load<uint32_t>(kShardCrcOffset);
    const uint32_t computed = shard_crc32(bytes);
    if (stored != computed) {
      planner::throw_file_error(
          path, "crc32",
          fmt::format("the shard fails its CRC-32 (corrupt): header says {:08x}, the bytes give {:08x}", stored,
                      computed));
    }
  }
}

void TokenShard::read(int64_t begin, int64_t count, int64_t* out) const {
  const size_t width = token_bytes(dtype_);
  widen_tokens(dtype_, file_->bytes() + kShardHeaderBytes + static_cast<size_t>(begin) * width,
               static_cast<size_t>(count), out);
}

int64_t TokenShard::token(int64_t i) const {
  int64_t t = 0;
  read(i, 1, &t);
  return t;
}

}  // namespace sprout::backend
