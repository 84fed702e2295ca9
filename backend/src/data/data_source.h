// SPDX-License-Identifier: GPL-3.0-or-later
// Where a run's token shards come from: a prepared directory, or text (the
// default corpus when the plan names nothing) prepared into RUN_DIR/data
// (docs/backend.md "Data").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/token_shard.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

struct DataSource {
  std::string shard_dir;                     // holds train.bin and val.bin
  std::vector<std::string> text_to_prepare;  // non-empty: prepare into shard_dir first
};

// `data`: --data, else the plan's training.data ("": the default corpus);
// `prepared_dir`: RUN_DIR/data, where text is prepared (and found again on
// resume). Throws planner::InputError for a path that does not exist, or no
// data and no default corpus.
DataSource resolve_data(const std::string& data, const planner::Plan& plan, const std::string& prepared_dir);

// Prepares the text into the shard directory (when there is any to prepare).
void prepare_data(const DataSource& source, const std::function<void(const std::string&)>& progress);

struct TrainingData {
  TokenShard train, validation;
  double unigram_entropy_nats = 0;  // of the training shard
};

// train.bin and val.bin of a shard directory.
TrainingData read_shards(const std::string& shard_dir);

// Throws planner::InputError when a stage's vocabulary is smaller than the data's.
void check_vocabulary(const planner::Plan& plan, const TokenShard& train);

}  // namespace sprout::backend
