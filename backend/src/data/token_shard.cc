// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/token_shard.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

// x86-64 and aarch64 are little-endian, as the format is.
static_assert(std::endian::native == std::endian::little, "token shards are little-endian");

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T get(const std::string& in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(T));
  return v;
}

[[noreturn]] void bad(const std::string& path, const std::string& field, const std::string& reason) {
  throw planner::InputError({path, 0, 0}, field, reason);
}

}  // namespace

void write_token_shard(const std::string& path, const std::vector<uint32_t>& tokens, uint32_t vocab) {
  const uint32_t width = vocab <= 65536 ? 2 : 4;
  std::string out;
  out.reserve(kShardHeaderBytes + tokens.size() * width);
  out.append(kShardMagic, sizeof(kShardMagic));
  put<uint32_t>(out, kShardVersion);
  put<uint32_t>(out, width);
  put<uint32_t>(out, vocab);
  put<uint32_t>(out, 0);
  put<uint64_t>(out, tokens.size());
  for (uint32_t t : tokens) {
    if (width == 2)
      put<uint16_t>(out, static_cast<uint16_t>(t));
    else
      put<uint32_t>(out, t);
  }
  planner::write_file_atomically(path, out);
}

TokenShard read_token_shard(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "data", "cannot open the token shard (missing file? run `sprout-train prepare`)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < kShardHeaderBytes) {
    bad(path, "header", fmt::format("{} bytes is shorter than the {}-byte header", bytes.size(), kShardHeaderBytes));
  }
  if (std::memcmp(bytes.data(), kShardMagic, sizeof(kShardMagic)) != 0) {
    bad(path, "magic", "not a sprout token shard (expected \"SPROUTTK\")");
  }
  const auto version = get<uint32_t>(bytes, 8);
  if (version != kShardVersion)
    bad(path, "version", fmt::format("{} is not supported (expected {})", version, kShardVersion));
  const auto width = get<uint32_t>(bytes, 12);
  if (width != 2 && width != 4) bad(path, "token_bytes", fmt::format("{} must be 2 or 4", width));
  const auto vocab = get<uint32_t>(bytes, 16);
  if (vocab < 2 || (width == 2 && vocab > 65536)) {
    bad(path, "vocab", fmt::format("{} does not fit {}-byte tokens", vocab, width));
  }
  const auto count = get<uint64_t>(bytes, 24);
  const uint64_t payload = bytes.size() - kShardHeaderBytes;
  if (count > payload / width || payload != count * width) {
    bad(path, "count",
        fmt::format("header says {} tokens but the file holds {} bytes of tokens (truncated?)", count, payload));
  }
  TokenShard shard;
  shard.path = path;
  shard.vocab = vocab;
  shard.tokens = torch::empty({static_cast<int64_t>(count)}, torch::kInt32);
  int32_t* dst = shard.tokens.data_ptr<int32_t>();
  uint32_t max_token = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t t =
        width == 2 ? get<uint16_t>(bytes, kShardHeaderBytes + 2 * i) : get<uint32_t>(bytes, kShardHeaderBytes + 4 * i);
    max_token = std::max(max_token, t);
    dst[i] = static_cast<int32_t>(t);
  }
  if (count > 0 && max_token >= vocab) {
    bad(path, "tokens", fmt::format("token {} is outside the vocabulary ({})", max_token, vocab));
  }
  return shard;
}

double unigram_entropy_nats(const TokenShard& shard) {
  if (shard.size() == 0) return 0;
  torch::Tensor counts = torch::bincount(shard.tokens.to(torch::kInt64), {}, shard.vocab).to(torch::kFloat64);
  torch::Tensor p = counts / counts.sum();
  torch::Tensor nz = p.masked_select(p > 0);
  return -(nz * nz.log()).sum().item<double>();
}

}  // namespace sprout::backend
