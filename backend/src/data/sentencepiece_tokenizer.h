// SPDX-License-Identifier: GPL-3.0-or-later
// SentencePiece tokenizers for `sprout-train prepare` (Kudo and Richardson
// 2018; Debian's libsentencepiece): a BPE model trained on the documents, or
// an existing .model file. Its end-of-sentence piece (`</s>`) is the
// end-of-document token.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace sprout::backend {

// Throws planner::InputError {path, "tokenizer_model", reason} when the file
// is missing or is not a SentencePiece model, or when the model has no
// end-of-sentence piece.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path);

// Trains a BPE model of `vocab` pieces on the documents' lines
// (deterministic: fixed seed, one thread). Throws planner::InputError
// {"--vocab", "vocab", SentencePiece's reason} when it cannot (e.g. more
// pieces than the text has).
std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& documents, int64_t vocab);

}  // namespace sprout::backend
