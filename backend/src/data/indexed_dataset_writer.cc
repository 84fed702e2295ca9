// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/indexed_dataset_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "data/byte_append.h"
#include "data/indexed_dataset.h"
#include "sprout/planner/base/file_io.h"

namespace sprout::backend {
namespace {

// One token as `dtype` stores it.
void put_token(std::string& out, TokenDtype dtype, uint32_t t) {
  switch (dtype) {
    case TokenDtype::kUint8:
      return append_bytes(out, static_cast<uint8_t>(t));
    case TokenDtype::kInt8:
      return append_bytes(out, static_cast<int8_t>(t));
    case TokenDtype::kInt16:
      return append_bytes(out, static_cast<int16_t>(t));
    case TokenDtype::kInt32:
      return append_bytes(out, static_cast<int32_t>(t));
    case TokenDtype::kInt64:
      return append_bytes(out, static_cast<int64_t>(t));
    case TokenDtype::kFloat64:
      return append_bytes(out, static_cast<double>(t));
    case TokenDtype::kFloat32:
      return append_bytes(out, static_cast<float>(t));
    case TokenDtype::kUint16:
      return append_bytes(out, static_cast<uint16_t>(t));
    case TokenDtype::kUint32:
      return append_bytes(out, t);
  }
}

}  // namespace

TokenDtype megatron_dtype_for_vocab(int64_t vocab) { return vocab < 65500 ? TokenDtype::kUint16 : TokenDtype::kInt32; }

IndexedDatasetWriter::IndexedDatasetWriter(std::string prefix, TokenDtype dtype)
    : prefix_(std::move(prefix)), bin_tmp_(megatron_data_path(prefix_) + ".tmp"), dtype_(dtype) {
  if (!megatron_dtype_code(dtype)) throw std::invalid_argument("Megatron-LM has no uint32 tokens");
  bin_ = std::fopen(bin_tmp_.c_str(), "wb");
  if (!bin_) throw std::runtime_error(fmt::format("{}: cannot create: {}", bin_tmp_, std::strerror(errno)));
}

IndexedDatasetWriter::~IndexedDatasetWriter() {
  if (bin_) {
    std::fclose(bin_);
    std::remove(bin_tmp_.c_str());
  }
}

void IndexedDatasetWriter::add_document(std::span<const uint32_t> tokens) {
  if (tokens.empty()) return;  // Megatron-LM's preprocess_data skips empty documents too
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::runtime_error("a document of more than 2^31 tokens does not fit Megatron-LM's int32 lengths");
  }
  std::string bytes;
  bytes.reserve(tokens.size() * token_bytes(dtype_));
  for (uint32_t t : tokens) put_token(bytes, dtype_, t);
  if (std::fwrite(bytes.data(), 1, bytes.size(), bin_) != bytes.size()) {
    throw std::runtime_error(fmt::format("{}: write failed: {}", bin_tmp_, std::strerror(errno)));
  }
  lengths_.push_back(static_cast<int32_t>(tokens.size()));
  tokens_ += static_cast<int64_t>(tokens.size());
}

void IndexedDatasetWriter::finish() {
  if (std::fflush(bin_) != 0 || ::fsync(::fileno(bin_)) != 0 || std::fclose(bin_) != 0) {
    bin_ = nullptr;
    std::remove(bin_tmp_.c_str());
    throw std::runtime_error(fmt::format("{}: cannot write: {}", bin_tmp_, std::strerror(errno)));
  }
  bin_ = nullptr;
  std::filesystem::rename(bin_tmp_, megatron_data_path(prefix_));
  const uint64_t n = lengths_.size();
  std::string idx(kMegatronIndexMagic, sizeof(kMegatronIndexMagic));
  append_bytes<uint64_t>(idx, kMegatronIndexVersion);
  append_bytes<uint8_t>(idx, static_cast<uint8_t>(*megatron_dtype_code(dtype_)));
  append_bytes<uint64_t>(idx, n);
  append_bytes<uint64_t>(idx, n + 1);  // one document per sequence: indices 0, 1, ..., n
  for (int32_t length : lengths_) append_bytes(idx, length);
  int64_t pointer = 0;
  for (int32_t length : lengths_) {
    append_bytes(idx, pointer);
    pointer += static_cast<int64_t>(length) * static_cast<int64_t>(token_bytes(dtype_));
  }
  for (uint64_t k = 0; k <= n; ++k) append_bytes(idx, static_cast<int64_t>(k));
  planner::write_file_atomically(megatron_index_path(prefix_), idx);
  planner::fsync_directory(std::filesystem::absolute(prefix_).parent_path().string());
}

}  // namespace sprout::backend
