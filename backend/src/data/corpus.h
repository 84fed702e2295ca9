// SPDX-License-Identifier: GPL-3.0-or-later
// Text -> training data (`sprout-train prepare`, docs/backend.md "Data"):
// documents (a text file each, or a JSONL line's "text" each, as Megatron-LM's
// tools/preprocess_data.py reads them), a tokenizer (byte-level by default,
// or SentencePiece BPE: trained here or an existing model), and one of two
// formats: sprout token shards with a deterministic train/validation split by
// fixed-size chunks, or a Megatron-LM indexed dataset (split at training time
// by the plan's data_split).
#pragma once

#include <nlohmann/json.hpp>

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
  int64_t max_bytes = 0;            // 0: all of it
  int64_t chunk_tokens = 4096;      // split unit of the shard format (bytes for the byte-level tokenizer)
  int64_t validation_every = 20;    // every 20th chunk goes to validation (5%)
  std::string tokenizer = "bytes";  // bytes | sentencepiece
  int64_t vocab = 0;                // sentencepiece: pieces to train (0: --tokenizer-model gives them)
  std::string tokenizer_model;      // an existing SentencePiece .model (implies sentencepiece)
  std::string format = "sprout";    // sprout (train.bin, val.bin) | megatron (text_document.bin/.idx)
  std::string json_key = "text";    // the text field of a JSONL line
};

struct PreparedCorpus {
  std::string format;
  std::string train_path, validation_path;  // sprout format
  std::string prefix;                       // megatron format: PREFIX of PREFIX.bin/.idx
  int64_t train_tokens = 0;                 // megatron: every token
  int64_t validation_tokens = 0;
  int64_t documents = 0;
  double unigram_entropy_nats = 0;  // of the training tokens
  std::string tokenizer;
  int64_t vocab = 0;
  std::vector<std::string> sources;
};

// Writes into out_dir (each file atomically): train.bin + val.bin, or
// text_document.bin + .idx; tokenizer.json (+ tokenizer.model); corpus.json.
// Throws planner::InputError for a missing or empty input, a JSONL line
// without its text, bad tokenizer options or a model that does not load,
// before anything is written.
PreparedCorpus prepare_corpus(const PrepareOptions& options);

// What was prepared, as corpus.json and `prepare --json` say it: format,
// tokenizer, vocab, sources, documents, unigram entropy, and the files with
// their token counts.
nlohmann::json prepared_corpus_json(const PreparedCorpus& corpus);

// Whole file, decompressed when it starts with the gzip magic (dictzip is
// gzip-compatible, so /usr/share/dictd/gcide.dict.dz reads directly).
std::string read_text(const std::string& path);

// Names of the files inside a prepared data directory.
inline constexpr const char* kTrainShardName = "train.bin";
inline constexpr const char* kValidationShardName = "val.bin";
inline constexpr const char* kMegatronPrefixName = "text_document";  // as preprocess_data.py's {prefix}_text_document

}  // namespace sprout::backend
