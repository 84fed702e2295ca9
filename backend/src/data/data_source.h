// SPDX-License-Identifier: GPL-3.0-or-later
// Where a run's tokens come from (docs/backend.md "Data"): the plan's
// training.data (or --data) names a prepared token shard directory, a
// Megatron-LM prefix (PREFIX.bin + PREFIX.idx, or a directory holding
// text_document.{bin,idx}), a text file (prepared into RUN_DIR/data),
// nothing (the default corpus, prepared there), or a blend of prepared
// datasets. Opening checks everything before a step runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/token_source.h"
#include "data/tokenizer.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

struct DataSource {
  std::vector<planner::WeightedData> parts;  // token shard directories or Megatron-LM prefixes
  std::vector<std::string> text_to_prepare;  // non-empty: prepare into parts[0].path first
};

// `data`: --data, else the plan's training.data ("" and no blend: the
// default corpus); `prepared_dir`: RUN_DIR/data, where text is prepared (and
// found again on resume). Throws planner::InputError for a path that does not
// exist, text in a blend, or no data and no default corpus.
DataSource resolve_data(const std::string& data, const planner::Plan& plan, const std::string& prepared_dir);

// Prepares the text into the shard directory (when there is any to prepare).
void prepare_data(const DataSource& source, const std::function<void(const std::string&)>& progress);

// What the run reads of its data (from the plan and its stages' schedules).
struct DataNeeds {
  int64_t seq_len = 0;
  int64_t training_windows = 0;    // every step's sequences
  int64_t validation_windows = 0;  // the largest validation set
  uint64_t seed = 0;
};

struct TrainingData {
  std::unique_ptr<TokenSource> source;
  // training.eod_mask_loss: the end-of-document token; a target whose input
  // is this token carries no loss (Megatron-LM's eod_mask_loss).
  std::optional<int64_t> loss_masked_eod;
  std::optional<TokenizerRecord> tokenizer;  // of the data, when it has a record
};

// Maps every part and checks it whole: its format, every token below the
// vocabulary, the plan's vocabulary against the data's tokenizer (equal or
// padded: tokenizer.h vocabulary_fits; without a tokenizer record, at least
// the shard's vocabulary), a blend's tokenizers alike, and an
// end-of-document token when eod_mask_loss asks for one. Throws
// planner::InputError naming the file (or the plan) and the field.
TrainingData open_training_data(const DataSource& source, const planner::Plan& plan, const DataNeeds& needs);

}  // namespace sprout::backend
