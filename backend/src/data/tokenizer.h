// SPDX-License-Identifier: GPL-3.0-or-later
// Text -> token ids for `sprout-train prepare`, and the record a prepared
// dataset keeps of the tokenizer that made it (DIR/tokenizer.json:
// docs/formats.md "Tokenizer record"). The trainer checks a plan's vocabulary
// against that record. Byte-level is the default (every byte a token, vocab
// 256, nothing to train or ship); SentencePiece BPE is the other
// (sentencepiece_tokenizer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sprout::backend {

struct TokenizerRecord {
  std::string name;  // "bytes" | "sentencepiece"
  int64_t vocab = 256;
  std::optional<int64_t> eod;  // end-of-document token, appended after every document
  std::string model;           // the model file, beside the record ("" for bytes)
  std::string model_sha256;    // of the model file
  std::string path;            // where the record was read from ("" when made here)
};

inline constexpr const char* kTokenizerRecordName = "tokenizer.json";
inline constexpr const char* kTokenizerModelName = "tokenizer.model";

// DIR/tokenizer.json, its model file's SHA-256 checked; else the tokenizer a
// corpus.json of an earlier sprout-train names ("bytes", vocab 256); nothing
// when neither is there. Throws planner::InputError {file, field, reason} for
// a malformed record or a model file that does not match its hash.
std::optional<TokenizerRecord> read_tokenizer_record(const std::string& dir);
// Writes DIR/tokenizer.json atomically.
void write_tokenizer_record(const std::string& dir, const TokenizerRecord& record);

// Whether a plan's vocabulary fits data of `record`'s tokenizer: equal, or
// padded up to a multiple of 128 (Megatron-LM's --make-vocab-size-divisible-by),
// so that the output layer has a row for every token and no more than padding.
bool vocabulary_fits(int64_t plan_vocab, const TokenizerRecord& record);
// The padded size vocabulary_fits also accepts.
int64_t padded_vocabulary(int64_t vocab);

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<uint32_t> encode(std::string_view text) const = 0;
  // Name, vocabulary and end-of-document token (model and hash: the writer's).
  virtual TokenizerRecord record() const = 0;
  // The model file's bytes ("" when there is none).
  virtual const std::string& model_bytes() const = 0;
};

// Every byte of UTF-8 text is one token; no end-of-document token.
std::unique_ptr<Tokenizer> make_byte_tokenizer();

}  // namespace sprout::backend
