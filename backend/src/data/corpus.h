// SPDX-License-Identifier: GPL-3.0-or-later
// Text -> token shards (`sprout-train prepare`): a byte-level tokenizer
// (vocab 256, every byte is a token, nothing to train or ship) and a
// deterministic train/validation split by fixed-size chunks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sprout::backend {

// The default corpus: the English fortune-cookie files of Debian's
// `fortunes` package (public domain and free texts, ~2.6 MB), in name order.
// Empty when the package is not installed.
std::vector<std::string> default_corpus_files();

struct PrepareOptions {
  std::vector<std::string> inputs;  // files or directories (gzip/dictzip .gz/.dz are decompressed)
  std::string out_dir;
  int64_t max_bytes = 0;          // 0: all of it
  int64_t chunk_bytes = 4096;     // split unit
  int64_t validation_every = 20;  // every 20th chunk goes to validation (5%)
};

struct PreparedCorpus {
  std::string train_path;
  std::string validation_path;
  int64_t train_tokens = 0;
  int64_t validation_tokens = 0;
  double unigram_entropy_nats = 0;  // of the training shard
  std::vector<std::string> sources;
};

// Writes out_dir/train.bin, out_dir/val.bin and out_dir/corpus.json (all
// atomically). Throws planner::InputError for a missing or empty input.
PreparedCorpus prepare_corpus(const PrepareOptions& options);

// Whole file, decompressed when it starts with the gzip magic (dictzip is
// gzip-compatible, so /usr/share/dictd/gcide.dict.dz reads directly).
std::string read_text(const std::string& path);

// Names of the shard files inside a prepared data directory.
inline constexpr const char* kTrainShardName = "train.bin";
inline constexpr const char* kValidationShardName = "val.bin";

}  // namespace sprout::backend
