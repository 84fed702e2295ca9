// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/indexed_dataset.h"

#include <fmt/format.h>

#include <cstring>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
IndexedDataset::IndexedDataset(const std::string& prefix)
    : prefix_(prefix), idx_(megatron_index_path(prefix)), bin_(megatron_data_path(prefix)) {
  check_header();
  check_documents();
  check_sequences();
}

void IndexedDataset::check_header() {
  const std::string& path = idx_.path();
  if (idx_.size() < kMegatronIndexHeaderBytes) {
    planner::throw_file_error(path, "header",
                              fmt::format("{} bytes is shorter than the {}-byte header (truncated?)", idx_.size(),
                                          kMegatronIndexHeaderBytes));
  }
  if (std::memcmp(idx_.bytes(), kMegatronIndexMagic, sizeof(kMegatronIndexMagic)) != 0) {
    planner::throw_file_error(path, "magic", "not a Megatron-LM index (expected \"MMIDIDX\\0\\0\")");
  }
  const auto version = idx_.load<uint64_t>(9);
  if (version != kMegatronIndexVersion) {
    planner::throw_file_error(path, "version",
                              fmt::format("{} is not supported (expected {})", version, kMegatronIndexVersion));
  }
  const auto code = idx_.load<uint8_t>(17);
  const std::optional<TokenDtype> dtype = dtype_of_megatron_code(code);
  if (!dtype) planner::throw_file_error(path, "dtype", fmt::format("code {} is not one of Megatron-LM's 1..8", code));
  dtype_ = *dtype;
  const auto n = idx_.load<uint64_t>(18);
  const auto d = idx_.load<uint64_t>(26);
  // The arrays need 12 bytes a sequence and 8 a document entry (+1 a sequence
  // for the modes of a multimodal dataset); bound the counts before multiplying.
  const uint64_t rest = idx_.size() - kMegatronIndexHeaderBytes;
  const uint64_t plain = n <= rest / 12 && d <= rest / 8 ? 12 * n + 8 * d : ~uint64_t{0};
  if (plain != rest && (plain == ~uint64_t{0} || plain + n != rest)) {
    planner::throw_file_error(
        path, "sequence_count",
        fmt::format("{} sequences and {} document entries do not fit the {} bytes after the header (truncated?)", n, d,
                    rest));
  }
  sequences_ = static_cast<int64_t>(n);
  documents_ = static_cast<int64_t>(d);
}

void IndexedDataset::check_documents() const {
  const size_t at = lengths_end() + 8 * static_cast<size_t>(sequences_);
  if (documents_ < 1 || idx_.load<int64_t>(at) != 0 ||
      idx_.load<int64_t>(at + 8 * static_cast<size_t>(documents_ - 1)) != sequences_) {
    planner::throw_file_error(idx_.path(), "document_indices",
                              fmt::format("must run from 0 to the sequence count {}", sequences_));
  }
  int64_t previous = 0;
  for (int64_t k = 1; k < documents_; ++k) {
    const auto next = idx_.load<int64_t>(at + 8 * static_cast<size_t>(k));
    if (next < previous)
      planner::throw_file_error(idx_.path(), "document_indices", fmt::format("entry {} goes backwards", k));
    previous = next;
  }
}

void IndexedDataset::check_sequences() const {
  const auto width = static_cast<int64_t>(token_bytes(dtype_));
  const auto bin_bytes = static_cast<int64_t>(bin_.size());
  for (int64_t i = 0; i < sequences_; ++i) {
    const int64_t length = sequence_length(i);
    const int64_t pointer = sequence_pointer(i);
    if (length < 0)
      planner::throw_file_error(idx_.path(), "sequence_lengths", fmt::format("sequence {}: {} tokens", i, length));
    if (pointer < 0 || pointer % width != 0 || pointer > bin_bytes || length > (bin_bytes - pointer) / width) {
      planner::throw_file_error(
          idx_.path(), "sequence_pointers",
          fmt::format("sequence {}: {} tokens from byte {} run past the end of {} ({} bytes; truncated?)", i, length,
                      pointer, bin_.path(), bin_bytes));
    }
  }
}

void IndexedDataset::read(int64_t sequence, int64_t offset, int64_t count, int64_t* out) const {
  const size_t width = token_bytes(dtype_);
  widen_tokens(dtype_,
               bin_.bytes() + static_cast<size_t>(sequence_pointer(sequence)) + static_cast<size_t>(offset) * width,
               static_cast<size_t>(count), out);
}

void IndexedDataset::scan_tokens(int64_t begin, int64_t end, int64_t vocab, std::vector<int64_t>* counts) const {
  const auto width = static_cast<int64_t>(token_bytes(dtype_));
  // Sequences written back to back (as Megatron-LM writes them) are scanned
  // as one run.
  int64_t run_begin = 0, run_end = 0;  // bytes
  auto flush = [&] {
    if (run_end > run_begin) {
      backend::scan_tokens(bin_, 0, dtype_, run_begin / width, (run_end - run_begin) / width, vocab, counts);
    }
  };
  for (int64_t i = begin; i < end; ++i) {
    const int64_t pointer = sequence_pointer(i), bytes = sequence_length(i) * width;
    if (pointer != run_end) {
      flush();
      run_begin = pointer;
    }
    run_end = pointer + bytes;
  }
  flush();
}

int64_t IndexedDataset::tokens_in(int64_t begin, int64_t end) const {
  int64_t n = 0;
  for (int64_t i = begin; i < end; ++i) n += sequence_length(i);
  return n;
}

}  // namespace sprout::backend
