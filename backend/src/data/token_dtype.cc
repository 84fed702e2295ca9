// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/token_dtype.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

// x86-64 and aarch64 are little-endian, as both formats are.
static_assert(std::endian::native == std::endian::little, "token files are little-endian");

struct DtypeInfo {
  TokenDtype dtype;
  int megatron_code;  // 0: none
  size_t bytes;
  const char* name;
};

// Megatron-LM's codes: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16.
constexpr DtypeInfo kDtypes[] = {
    {TokenDtype::kUint8, 1, 1, "uint8"},     {TokenDtype::kInt8, 2, 1, "int8"},
    {TokenDtype::kInt16, 3, 2, "int16"},     {TokenDtype::kInt32, 4, 4, "int32"},
    {TokenDtype::kInt64, 5, 8, "int64"},     {TokenDtype::kFloat64, 6, 8, "float64"},
    {TokenDtype::kFloat32, 7, 4, "float32"}, {TokenDtype::kUint16, 8, 2, "uint16"},
    {TokenDtype::kUint32, 0, 4, "uint32"},
};

const DtypeInfo& info(TokenDtype dtype) { return kDtypes[static_cast<size_t>(dtype)]; }

template <typename T>
void widen(const unsigned char* src, size_t count, int64_t* out) {
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    out[i] = static_cast<int64_t>(v);
  }
}

// The first float token that is not a whole number within int64's range, if
// any: widen casts the others to int64, and a cast of 2^63 or more (or NaN)
// is undefined behaviour (found by tests/fuzz/fuzz_megatron_index).
template <typename T>
std::optional<size_t> first_fraction(const unsigned char* src, size_t count) {
  constexpr T kTwoToThe63 = static_cast<T>(9223372036854775808.0);
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    if (!(v >= -kTwoToThe63 && v < kTwoToThe63) || std::trunc(v) != v) return i;
  }
  return std::nullopt;
}

// Tokens per scan chunk: 1 MiB of int64 at a time.
constexpr int64_t kScanChunkTokens = 1 << 17;

}  // namespace

std::optional<int> megatron_dtype_code(TokenDtype dtype) {
  const int code = info(dtype).megatron_code;
  return code > 0 ? std::optional<int>(code) : std::nullopt;
}

std::optional<TokenDtype> dtype_of_megatron_code(int code) {
  for (const DtypeInfo& d : kDtypes) {
    if (d.megatron_code == code && code > 0) return d.dtype;
  }
  return std::nullopt;
}

size_t token_bytes(TokenDtype dtype) { return info(dtype).bytes; }
const char* dtype_name(TokenDtype dtype) { return info(dtype).name; }

void widen_tokens(TokenDtype dtype, const unsigned char* src, size_t count, int64_t* out) {
  switch (dtype) {
    case TokenDtype::kUint8:
      return widen<uint8_t>(src, count, out);
    case TokenDtype::kInt8:
      return widen<int8_t>(src, count, out);
    case TokenDtype::kInt16:
      return widen<int16_t>(src, count, out);
    case TokenDtype::kInt32:
      return widen<int32_t>(src, count, out);
    case TokenDtype::kInt64:
      return widen<int64_t>(src, count, out);
    case TokenDtype::kFloat64:
      return widen<double>(src, count, out);
    case TokenDtype::kFloat32:
      return widen<float>(src, count, out);
    case TokenDtype::kUint16:
      return widen<uint16_t>(src, count, out);
    case TokenDtype::kUint32:
      return widen<uint32_t>(src, count, out);
  }
}

void scan_tokens(const MappedFile& file, size_t byte_offset, TokenDtype dtype, int64_t first_token, int64_t count,
                 int64_t vocab, std::vector<int64_t>* counts) {
  const size_t width = token_bytes(dtype);
  std::vector<int64_t> chunk(static_cast<size_t>(std::min(count, kScanChunkTokens)));
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(kScanChunkTokens, count - done);
    const size_t at = byte_offset + static_cast<size_t>(first_token + done) * width;
    const unsigned char* src = file.bytes() + at;
    std::optional<size_t> fraction;
    if (dtype == TokenDtype::kFloat32) fraction = first_fraction<float>(src, static_cast<size_t>(n));
    if (dtype == TokenDtype::kFloat64) fraction = first_fraction<double>(src, static_cast<size_t>(n));
    if (fraction) {
      throw planner::InputError({file.path(), 0, 0}, "tokens",
                                fmt::format("token at index {} is not a whole number within int64 ({} tokens)",
                                            first_token + done + static_cast<int64_t>(*fraction), dtype_name(dtype)));
    }
    widen_tokens(dtype, src, static_cast<size_t>(n), chunk.data());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = chunk[static_cast<size_t>(i)];
      if (t < 0 || t >= vocab) {
        throw planner::InputError(
            {file.path(), 0, 0}, "tokens",
            fmt::format("token {} at index {} is outside the vocabulary ({})", t, first_token + done + i, vocab));
      }
      if (counts) (*counts)[static_cast<size_t>(t)] += 1;
    }
    file.release(at, static_cast<size_t>(n) * width);
    done += n;
  }
}

}  // namespace sprout::backend
