// SPDX-License-Identifier: GPL-3.0-or-later
// How token ids are stored on disk: the element types of Megatron-LM's
// indexed datasets (their codes 1..8, megatron/core/datasets/
// indexed_dataset.py `DType`) and of sprout's token shards (uint16, uint32),
// all little-endian. Tokens are widened to int64 only for the batch being
// built (widen_tokens); a whole file is checked once, in chunks
// (scan_tokens), without keeping its pages resident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/mapped_file.h"

namespace sprout::backend {

enum class TokenDtype { kUint8, kInt8, kInt16, kInt32, kInt64, kFloat64, kFloat32, kUint16, kUint32 };

// Megatron's code (1..8) of a dtype; nothing for uint32 (Megatron has none).
std::optional<int> megatron_dtype_code(TokenDtype dtype);
std::optional<TokenDtype> dtype_of_megatron_code(int code);
size_t token_bytes(TokenDtype dtype);
const char* dtype_name(TokenDtype dtype);

// `count` tokens stored at `src` as int64. Floats (Megatron can write
// float32/float64 tokens) are truncated; scan_tokens has checked they are whole.
void widen_tokens(TokenDtype dtype, const unsigned char* src, size_t count, int64_t* out);

// Checks every token of [first_token, first_token + count) of `file` (tokens of
// `dtype` from byte `byte_offset` on) is a whole number in [0, vocab); adds
// each token's count to `counts` (size vocab) unless it is null. Throws
// planner::InputError {file, "tokens", "token T at index I is outside the
// vocabulary (V)"} for the first one that is not. The pages read are
// released again (MappedFile::release).
void scan_tokens(const MappedFile& file, size_t byte_offset, TokenDtype dtype, int64_t first_token, int64_t count,
                 int64_t vocab, std::vector<int64_t>* counts);

// The largest vocabulary whose tokens a scan counts (a count per token id:
// 128 MiB at most); past it, no unigram entropy is reported.
inline constexpr int64_t kMaxCountedVocab = int64_t{1} << 24;

// Unigram (zeroth-order) entropy in nats, -sum p log p, of token counts. A
// model whose loss falls below it has learned more than symbol frequencies.
double unigram_entropy_nats(const std::vector<int64_t>& counts);

}  // namespace sprout::backend
