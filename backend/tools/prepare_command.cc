// SPDX-License-Identifier: GPL-3.0-or-later
#include "prepare_command.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace sprout::train_cli {

void add_prepare_command(CLI::App& app, PrepareArgs& a) {
  CLI::App* p = app.add_subcommand("prepare", "Turn text files into token shards (byte-level tokenizer)");
  p->add_option("--input", a.options.inputs,
                "Text files or directories (.gz/.dz decompressed); default: the fortunes package's English files");
  p->add_option("--out", a.options.out_dir, "Output directory (train.bin, val.bin, corpus.json)")->required();
  p->add_option("--max-bytes", a.options.max_bytes, "Use at most this many bytes of text (0: all)")
      ->check(CLI::NonNegativeNumber);
  p->add_option("--chunk-bytes", a.options.chunk_bytes, "Split unit in bytes")->check(CLI::PositiveNumber);
  p->add_option("--validation-every", a.options.validation_every, "Every Nth chunk goes to validation")
      ->check(CLI::Range(2, 1000000));
  p->add_flag("--json", a.json, "Print the result as one JSON document on stdout");
}

int run_prepare(PrepareArgs& a) {
  if (a.options.inputs.empty()) a.options.inputs = backend::default_corpus_files();
  if (a.options.inputs.empty()) {
    std::cerr << "sprout-train prepare: --input: none given and the default corpus (Debian package fortunes) is "
                 "not installed\n";
    return 2;
  }
  const backend::PreparedCorpus c = backend::prepare_corpus(a.options);
  if (a.json) {
    nlohmann::json j = {{"train", c.train_path},
                        {"validation", c.validation_path},
                        {"train_tokens", c.train_tokens},
                        {"validation_tokens", c.validation_tokens},
                        {"unigram_entropy_nats", c.unigram_entropy_nats},
                        {"sources", c.sources.size()}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("{} files -> {} ({} tokens), {} ({} tokens); unigram entropy {:.4f} nats/token\n",
                             c.sources.size(), c.train_path, c.train_tokens, c.validation_path, c.validation_tokens,
                             c.unigram_entropy_nats);
  }
  return 0;
}

}  // namespace sprout::train_cli
