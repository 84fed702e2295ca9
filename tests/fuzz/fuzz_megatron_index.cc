// SPDX-License-Identifier: GPL-3.0-or-later
// A Megatron-LM indexed dataset (PREFIX.idx + PREFIX.bin), read as
// `sprout-train` reads a `data: megatron:` source: IndexedDataset checks the
// index against the data file, then every token is scanned and read.
// Input layout: a little-endian uint32 L, then L bytes of PREFIX.idx (fewer
// when the input ends first), then the rest as PREFIX.bin.
#include <algorithm>
#include <cstring>
#include <vector>

#include "data/indexed_dataset.h"
#include "fuzz_support.h"
#include "run_directory.h"

namespace {

// Enough for the seeds' vocabularies; larger tokens must be InputErrors.
constexpr int64_t kVocab = 50304;
// Reads at most this many tokens per input: a valid index may describe a
// large file, and a fuzzer should spend its time on the checks.
constexpr int64_t kMaxTokensRead = 1 << 16;

void read_every_token(const sprout::backend::IndexedDataset& data) {
  std::vector<int64_t> counts(kVocab, 0);
  data.scan_tokens(0, data.sequence_count(), kVocab, &counts);
  std::vector<int64_t> tokens;
  int64_t budget = kMaxTokensRead;
  for (int64_t s = 0; s < data.sequence_count() && budget > 0; ++s) {
    const int64_t length = std::min<int64_t>(data.sequence_length(s), budget);
    tokens.resize(static_cast<size_t>(length));
    data.read(s, 0, length, tokens.data());
    budget -= length;
  }
  (void)data.tokens_in(0, data.sequence_count());
  (void)data.document_count();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sprout::fuzz::RunDirectory dir;
  uint32_t idx_bytes = 0;
  if (size >= sizeof(idx_bytes)) std::memcpy(&idx_bytes, data, sizeof(idx_bytes));
  const std::string_view rest = size >= sizeof(idx_bytes) ? sprout::fuzz::bytes_of(data + 4, size - 4) : "";
  const std::string_view idx = rest.substr(0, idx_bytes);
  const std::string_view bin = rest.substr(idx.size());
  dir.put("data.idx", idx);
  dir.put("data.bin", bin);
  return sprout::fuzz::expect_only_input_errors([&] {
    const sprout::backend::IndexedDataset dataset(dir.path() + "/data");
    read_every_token(dataset);
  });
}
