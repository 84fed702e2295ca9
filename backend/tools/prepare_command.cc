// SPDX-License-Identifier: GPL-3.0-or-later
#include "prepare_command.h"

#include <fmt/format.h>

#include <iostream>

namespace sprout::train_cli {

void add_prepare_command(CLI::App& app, PrepareArgs& a) {
  CLI::App* p = app.add_subcommand("prepare",
                                   "Turn text or JSONL files into training data (token shards or a "
                                   "Megatron-LM indexed dataset)");
  p->add_option("--input", a.options.inputs,
                "Text or JSONL files, or directories (.gz/.dz decompressed); a text file is one document, a JSONL "
                "line one ({\"text\": ...}); default: the fortunes package's English files");
  p->add_option("--out", a.options.out_dir,
                "Output directory (train.bin + val.bin, or text_document.bin + .idx; tokenizer.json, corpus.json)")
      ->required();
  p->add_option("--format", a.options.format, "sprout (token shards, the default) | megatron (indexed dataset)")
      ->check(CLI::IsMember({"sprout", "megatron"}));
  p->add_option("--tokenizer", a.options.tokenizer, "bytes (byte-level, the default) | sentencepiece (BPE)")
      ->check(CLI::IsMember({"bytes", "sentencepiece"}));
  p->add_option("--vocab", a.options.vocab, "Pieces of the SentencePiece BPE model trained on the input")
      ->check(CLI::PositiveNumber);
  p->add_option("--tokenizer-model", a.options.tokenizer_model,
                "An existing SentencePiece .model instead of training one (implies --tokenizer sentencepiece)");
  p->add_option("--json-key", a.options.json_key, "The text field of a JSONL line (default text)");
  p->add_option("--max-bytes", a.options.max_bytes, "Use at most this many bytes of text (0: all)")
      ->check(CLI::NonNegativeNumber);
  p->add_option("--chunk-tokens,--chunk-bytes", a.options.chunk_tokens,
                "Split unit of the token shards in tokens (bytes for the byte-level tokenizer)")
      ->check(CLI::PositiveNumber);
  p->add_option("--validation-every", a.options.validation_every, "Every Nth chunk goes to validation (token shards)")
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
  if (!a.options.tokenizer_model.empty() && a.options.tokenizer == "bytes") a.options.tokenizer = "sentencepiece";
  const backend::PreparedCorpus c = backend::prepare_corpus(a.options);
  const bool megatron = c.format == "megatron";
  if (a.json) {
    std::cout << backend::prepared_corpus_json(c).dump(2) << "\n";
  } else if (megatron) {
    std::cout << fmt::format(
        "{} files, {} documents -> {}.bin/.idx ({} tokens, {} vocab {}); unigram entropy {:.4f} "
        "nats/token\n",
        c.sources.size(), c.documents, c.prefix, c.train_tokens, c.tokenizer, c.vocab, c.unigram_entropy_nats);
  } else {
    std::cout << fmt::format("{} files -> {} ({} tokens), {} ({} tokens); unigram entropy {:.4f} nats/token\n",
                             c.sources.size(), c.train_path, c.train_tokens, c.validation_path, c.validation_tokens,
                             c.unigram_entropy_nats);
  }
  return 0;
}

}  // namespace sprout::train_cli
