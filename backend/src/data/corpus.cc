// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/corpus.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/indexed_dataset_writer.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/sha256.h"
#include "data/token_shard.h"
#include "data/tokenizer.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace fs = std::filesystem;

std::vector<std::string> default_corpus_files() {
  const fs::path dir = "/usr/share/games/fortunes";
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    // The text files have no extension; *.dat are strfile indexes and *.u8
    // symlinks to the same text.
    if (e.is_regular_file() && !e.is_symlink() && !e.path().has_extension()) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw planner::InputError({path, 0, 0}, "input", "cannot open the text file");
  char magic[2] = {0, 0};
  probe.read(magic, 2);
  if (static_cast<unsigned char>(magic[0]) != 0x1f || static_cast<unsigned char>(magic[1]) != 0x8b) {
    probe.clear();
    probe.seekg(0);
    return std::string((std::istreambuf_iterator<char>(probe)), std::istreambuf_iterator<char>());
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw planner::InputError({path, 0, 0}, "input", "cannot open the gzip file");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  const bool failed = n < 0;
  gzclose(gz);
  if (failed) throw planner::InputError({path, 0, 0}, "input", "corrupt gzip data");
  return out;
}

namespace {

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      std::vector<std::string> inside;
      for (const auto& e : fs::directory_iterator(in)) {
        if (e.is_regular_file()) inside.push_back(e.path().string());
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (fs::exists(in)) {
      files.push_back(in);
    } else {
      throw planner::InputError({in, 0, 0}, "input", "no such file or directory");
    }
  }
  return files;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_jsonl(const std::string& path) {
  return ends_with(path, ".jsonl") || ends_with(path, ".jsonl.gz") || ends_with(path, ".json");
}

// One document per line: the line's `key` text (empty lines skipped).
std::vector<std::string> jsonl_documents(const std::string& text, const std::string& path, const std::string& key) {
  std::vector<std::string> documents;
  int line = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view row(text.data() + at, end - at);
    at = end + 1;
    ++line;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(row, nullptr, false);
    if (j.is_discarded()) throw planner::InputError({path, line, 0}, "json", "not valid JSON");
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
      throw planner::InputError({path, line, 0}, key, "missing, or not a string");
    }
    documents.push_back(j[key].get<std::string>());
  }
  return documents;
}

// The inputs' documents: at most max_bytes of text in all (the last one cut).
std::vector<std::string> read_documents(const std::vector<std::string>& files, const PrepareOptions& o) {
  std::vector<std::string> documents;
  int64_t total = 0;
  for (const auto& f : files) {
    std::string text = read_text(f);
    std::vector<std::string> here = is_jsonl(f) ? jsonl_documents(text, f, o.json_key) : std::vector{std::move(text)};
    for (auto& d : here) {
      const auto size = static_cast<int64_t>(d.size());
      if (o.max_bytes > 0 && total + size >= o.max_bytes) {
        d.resize(static_cast<size_t>(o.max_bytes - total));
        documents.push_back(std::move(d));
        return documents;
      }
      total += size;
      documents.push_back(std::move(d));
    }
  }
  return documents;
}

void check_options(const PrepareOptions& o) {
  if (o.chunk_tokens < 1 || o.validation_every < 2) {
    throw planner::InputError({"prepare", 0, 0}, "split", "chunk_tokens >= 1 and validation_every >= 2");
  }
  if (o.format != "sprout" && o.format != "megatron") {
    throw planner::InputError({"--format", 0, 0}, "format", "'" + o.format + "' is neither sprout nor megatron");
  }
  if (o.tokenizer != "bytes" && o.tokenizer != "sentencepiece") {
    throw planner::InputError({"--tokenizer", 0, 0}, "tokenizer",
                              "'" + o.tokenizer + "' is neither bytes nor sentencepiece");
  }
  if (o.tokenizer == "bytes" && !o.tokenizer_model.empty()) {
    throw planner::InputError({"--tokenizer-model", 0, 0}, "tokenizer", "a model file needs --tokenizer sentencepiece");
  }
  if (o.tokenizer == "bytes" && o.vocab != 0 && o.vocab != 256) {
    throw planner::InputError({"--vocab", 0, 0}, "vocab", "the byte-level tokenizer has 256 tokens");
  }
  if (o.tokenizer == "sentencepiece" && o.tokenizer_model.empty() && o.vocab < 2) {
    throw planner::InputError({"--vocab", 0, 0}, "vocab",
                              "required to train a SentencePiece model (or give --tokenizer-model FILE)");
  }
}

std::unique_ptr<Tokenizer> make_tokenizer(const PrepareOptions& o, const std::vector<std::string>& documents) {
  if (o.tokenizer == "bytes") return make_byte_tokenizer();
  if (o.tokenizer_model.empty()) return train_sentencepiece(documents, o.vocab);
  std::unique_ptr<Tokenizer> t = load_sentencepiece(o.tokenizer_model);
  if (o.vocab != 0 && o.vocab != t->record().vocab) {
    throw planner::InputError(
        {o.tokenizer_model, 0, 0}, "vocab",
        fmt::format("the model has {} pieces, not the {} of --vocab", t->record().vocab, o.vocab));
  }
  return t;
}

// The documents' tokens, each followed by the end-of-document token when the
// tokenizer has one, cut into chunks; chunk i goes to validation when
// i % every == every - 1.
void write_shards(const std::vector<std::string>& documents, const Tokenizer& tokenizer, const PrepareOptions& o,
                  PreparedCorpus& out) {
  const TokenizerRecord r = tokenizer.record();
  std::vector<uint32_t> train, validation;
  int64_t position = 0;
  auto add = [&](uint32_t t) {
    const bool held_out = (position / o.chunk_tokens) % o.validation_every == o.validation_every - 1;
    (held_out ? validation : train).push_back(t);
    ++position;
  };
  for (const auto& d : documents) {
    for (uint32_t t : tokenizer.encode(d)) add(t);
    if (r.eod) add(static_cast<uint32_t>(*r.eod));
  }
  out.train_path = (fs::path(o.out_dir) / kTrainShardName).string();
  out.validation_path = (fs::path(o.out_dir) / kValidationShardName).string();
  write_token_shard(out.train_path, train, static_cast<uint32_t>(r.vocab));
  write_token_shard(out.validation_path, validation, static_cast<uint32_t>(r.vocab));
  out.train_tokens = static_cast<int64_t>(train.size());
  out.validation_tokens = static_cast<int64_t>(validation.size());
  out.unigram_entropy_nats = unigram_entropy_nats(TokenShard(out.train_path).token_counts());
}

// One sequence per document, each ending in the end-of-document token
// (preprocess_data.py --append-eod) when the tokenizer has one.
void write_megatron(const std::vector<std::string>& documents, const Tokenizer& tokenizer, const PrepareOptions& o,
                    PreparedCorpus& out) {
  const TokenizerRecord r = tokenizer.record();
  out.prefix = (fs::path(o.out_dir) / kMegatronPrefixName).string();
  IndexedDatasetWriter writer(out.prefix, megatron_dtype_for_vocab(r.vocab));
  std::vector<int64_t> counts(static_cast<size_t>(std::min(r.vocab, kMaxCountedVocab)), 0);
  for (const auto& d : documents) {
    std::vector<uint32_t> tokens = tokenizer.encode(d);
    if (r.eod) tokens.push_back(static_cast<uint32_t>(*r.eod));
    for (uint32_t t : tokens) {
      if (t < counts.size()) counts[t] += 1;
    }
    writer.add_document(tokens);
  }
  writer.finish();
  out.train_tokens = writer.tokens();
  out.unigram_entropy_nats = unigram_entropy_nats(counts);
}

}  // namespace

PreparedCorpus prepare_corpus(const PrepareOptions& o) {
  check_options(o);
  PreparedCorpus out;
  out.format = o.format;
  out.sources = expand_inputs(o.inputs);
  if (out.sources.empty()) throw planner::InputError({"prepare", 0, 0}, "input", "no input files");
  const std::vector<std::string> documents = read_documents(out.sources, o);
  int64_t bytes = 0;
  for (const auto& d : documents) bytes += static_cast<int64_t>(d.size());
  if (bytes == 0) throw planner::InputError({out.sources.front(), 0, 0}, "input", "the corpus is empty");
  const std::unique_ptr<Tokenizer> tokenizer = make_tokenizer(o, documents);

  // Everything is checked: from here on the directory is written.
  fs::create_directories(o.out_dir);
  TokenizerRecord record = tokenizer->record();
  if (!tokenizer->model_bytes().empty()) {
    record.model = kTokenizerModelName;
    record.model_sha256 = sha256_hex(tokenizer->model_bytes());
    planner::write_file_atomically((fs::path(o.out_dir) / record.model).string(), tokenizer->model_bytes());
  }
  out.tokenizer = record.name;
  out.vocab = record.vocab;
  out.documents = static_cast<int64_t>(documents.size());
  if (o.format == "megatron") {
    write_megatron(documents, *tokenizer, o, out);
  } else {
    write_shards(documents, *tokenizer, o, out);
  }
  write_tokenizer_record(o.out_dir, record);

  nlohmann::json meta = prepared_corpus_json(out);
  meta["bytes"] = bytes;
  if (o.format == "sprout") {
    meta["chunk_tokens"] = o.chunk_tokens;
    meta["validation_every"] = o.validation_every;
  }
  planner::write_file_atomically((fs::path(o.out_dir) / "corpus.json").string(), meta.dump(2) + "\n");
  return out;
}

nlohmann::json prepared_corpus_json(const PreparedCorpus& c) {
  nlohmann::json j = {{"format", c.format},       {"tokenizer", c.tokenizer},
                      {"vocab", c.vocab},         {"sources", c.sources},
                      {"documents", c.documents}, {"unigram_entropy_nats", c.unigram_entropy_nats}};
  if (c.format == "megatron") {
    j["prefix"] = c.prefix;
    j["tokens"] = c.train_tokens;
  } else {
    j["train"] = c.train_path;
    j["validation"] = c.validation_path;
    j["train_tokens"] = c.train_tokens;
    j["validation_tokens"] = c.validation_tokens;
  }
  return j;
}

}  // namespace sprout::backend
