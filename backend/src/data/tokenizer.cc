// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/tokenizer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "data/sha256.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

TokenizerRecord bytes_record(int64_t vocab, const std::string& path) {
  TokenizerRecord r;
  r.name = "bytes";
  r.vocab = vocab;
  r.path = path;
  return r;
}

class ByteTokenizer : public Tokenizer {
 public:
  std::vector<uint32_t> encode(std::string_view text) const override {
    return std::vector<uint32_t>(reinterpret_cast<const unsigned char*>(text.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()) + text.size());
  }
  TokenizerRecord record() const override { return bytes_record(256, ""); }
  const std::string& model_bytes() const override { return none_; }

 private:
  std::string none_;
};

// Megatron-LM pads the vocabulary to a multiple of this (--make-vocab-size-divisible-by 128).
constexpr int64_t kVocabularyPadding = 128;

TokenizerRecord parse_record(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(planner::read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw planner::InputError({path, 0, 0}, "tokenizer", std::string("not valid JSON: ") + e.what());
  }
  auto field = [&](const char* key) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(key)) throw planner::InputError({path, 0, 0}, key, "missing");
    return j[key];
  };
  TokenizerRecord r;
  r.path = path;
  try {
    r.name = field("name").get<std::string>();
    r.vocab = field("vocab").get<int64_t>();
    if (!field("eod").is_null()) r.eod = field("eod").get<int64_t>();
    r.model = j.value("model", "");
    r.model_sha256 = j.value("model_sha256", "");
  } catch (const nlohmann::json::type_error& e) {
    throw planner::InputError({path, 0, 0}, "tokenizer", e.what());
  }
  if (r.name != "bytes" && r.name != "sentencepiece") {
    throw planner::InputError({path, 0, 0}, "name", "'" + r.name + "' is neither bytes nor sentencepiece");
  }
  if (r.vocab < 2) throw planner::InputError({path, 0, 0}, "vocab", fmt::format("{} is below 2", r.vocab));
  if (r.eod && (*r.eod < 0 || *r.eod >= r.vocab)) {
    throw planner::InputError({path, 0, 0}, "eod", fmt::format("{} is outside the vocabulary ({})", *r.eod, r.vocab));
  }
  if (r.name == "sentencepiece" && r.model.empty()) {
    throw planner::InputError({path, 0, 0}, "model", "a sentencepiece record names its model file");
  }
  return r;
}

void check_model_hash(const TokenizerRecord& r, const std::string& dir) {
  if (r.model.empty()) return;
  const std::string model = (fs::path(dir) / r.model).string();
  const std::string actual = sha256_hex(planner::read_file(model));
  if (actual != r.model_sha256) {
    throw planner::InputError(
        {r.path, 0, 0}, "model_sha256",
        fmt::format("{} has SHA-256 {}, the record says {} (replaced or corrupt)", model, actual, r.model_sha256));
  }
}

}  // namespace

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

std::optional<TokenizerRecord> read_tokenizer_record(const std::string& dir) {
  const fs::path record = fs::path(dir) / kTokenizerRecordName;
  if (fs::exists(record)) {
    TokenizerRecord r = parse_record(record.string());
    check_model_hash(r, dir);
    return r;
  }
  // Data prepared before tokenizer.json: corpus.json says "tokenizer": "bytes".
  const fs::path corpus = fs::path(dir) / "corpus.json";
  if (fs::exists(corpus)) {
    const nlohmann::json j = nlohmann::json::parse(planner::read_file(corpus.string()), nullptr, false);
    if (j.is_object() && j.value("tokenizer", "") == "bytes") {
      return bytes_record(j.value("vocab", int64_t{256}), corpus.string());
    }
  }
  return std::nullopt;
}

void write_tokenizer_record(const std::string& dir, const TokenizerRecord& r) {
  nlohmann::json j = {{"name", r.name}, {"vocab", r.vocab}, {"eod", r.eod ? nlohmann::json(*r.eod) : nlohmann::json()}};
  if (!r.model.empty()) {
    j["model"] = r.model;
    j["model_sha256"] = r.model_sha256;
  }
  planner::write_file_atomically((fs::path(dir) / kTokenizerRecordName).string(), j.dump(2) + "\n");
}

int64_t padded_vocabulary(int64_t vocab) {
  return (vocab + kVocabularyPadding - 1) / kVocabularyPadding * kVocabularyPadding;
}

bool vocabulary_fits(int64_t plan_vocab, const TokenizerRecord& record) {
  return plan_vocab == record.vocab || plan_vocab == padded_vocabulary(record.vocab);
}

}  // namespace sprout::backend
