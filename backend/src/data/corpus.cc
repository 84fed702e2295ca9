// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/corpus.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/token_shard.h"
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

}  // namespace

PreparedCorpus prepare_corpus(const PrepareOptions& o) {
  if (o.chunk_bytes < 1 || o.validation_every < 2) {
    throw planner::InputError({"prepare", 0, 0}, "split", "chunk_bytes >= 1 and validation_every >= 2");
  }
  PreparedCorpus out;
  out.sources = expand_inputs(o.inputs);
  if (out.sources.empty()) throw planner::InputError({"prepare", 0, 0}, "input", "no input files");
  std::string text;
  for (const auto& f : out.sources) {
    text += read_text(f);
    if (o.max_bytes > 0 && static_cast<int64_t>(text.size()) >= o.max_bytes) {
      text.resize(static_cast<size_t>(o.max_bytes));
      break;
    }
  }
  if (text.empty()) throw planner::InputError({out.sources.front(), 0, 0}, "input", "the corpus is empty");

  // Byte-level tokens; chunk i goes to validation when i % every == every-1.
  std::vector<uint32_t> train, validation;
  const size_t chunk = static_cast<size_t>(o.chunk_bytes);
  for (size_t begin = 0, i = 0; begin < text.size(); begin += chunk, ++i) {
    auto& dst = (static_cast<int64_t>(i % o.validation_every) == o.validation_every - 1) ? validation : train;
    const size_t end = std::min(text.size(), begin + chunk);
    for (size_t j = begin; j < end; ++j) dst.push_back(static_cast<unsigned char>(text[j]));
  }
  fs::create_directories(o.out_dir);
  out.train_path = (fs::path(o.out_dir) / kTrainShardName).string();
  out.validation_path = (fs::path(o.out_dir) / kValidationShardName).string();
  write_token_shard(out.train_path, train, 256);
  write_token_shard(out.validation_path, validation, 256);
  out.train_tokens = static_cast<int64_t>(train.size());
  out.validation_tokens = static_cast<int64_t>(validation.size());
  out.unigram_entropy_nats = unigram_entropy_nats(read_token_shard(out.train_path));

  nlohmann::json meta = {{"tokenizer", "bytes"},
                         {"vocab", 256},
                         {"sources", out.sources},
                         {"bytes", text.size()},
                         {"chunk_bytes", o.chunk_bytes},
                         {"validation_every", o.validation_every},
                         {"train_tokens", out.train_tokens},
                         {"validation_tokens", out.validation_tokens},
                         {"unigram_entropy_nats", out.unigram_entropy_nats}};
  planner::write_file_atomically((fs::path(o.out_dir) / "corpus.json").string(), meta.dump(2) + "\n");
  return out;
}

}  // namespace sprout::backend
