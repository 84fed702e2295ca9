// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/data_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "data/corpus.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace fs = std::filesystem;

DataSource resolve_data(const std::string& data, const planner::Plan& plan, const std::string& prepared_dir) {
  const bool ready = fs::exists(fs::path(prepared_dir) / kTrainShardName);
  if (data.empty()) {
    DataSource d{prepared_dir, ready ? std::vector<std::string>{} : default_corpus_files()};
    if (!ready && d.text_to_prepare.empty()) {
      throw planner::InputError({plan.source_file, 0, 0}, "training.data",
                                "no data given and the default corpus (/usr/share/games/fortunes, Debian package "
                                "fortunes) is not installed: run scripts/install-deps.sh or set training.data");
    }
    return d;
  }
  if (fs::is_directory(data)) return {data, {}};
  if (!fs::exists(data)) {
    throw planner::InputError({data, 0, 0}, "training.data", "no such file or directory");
  }
  return {prepared_dir, ready ? std::vector<std::string>{} : std::vector<std::string>{data}};
}

void prepare_data(const DataSource& source, const std::function<void(const std::string&)>& progress) {
  if (source.text_to_prepare.empty()) return;
  PrepareOptions po;
  po.inputs = source.text_to_prepare;
  po.out_dir = source.shard_dir;
  progress(fmt::format("preparing {} text file(s) into {}", po.inputs.size(), po.out_dir));
  prepare_corpus(po);
}

TrainingData read_shards(const std::string& shard_dir) {
  TrainingData d;
  d.train = read_token_shard((fs::path(shard_dir) / kTrainShardName).string());
  d.validation = read_token_shard((fs::path(shard_dir) / kValidationShardName).string());
  d.unigram_entropy_nats = unigram_entropy_nats(d.train);
  return d;
}

void check_vocabulary(const planner::Plan& plan, const TokenShard& train) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    if (static_cast<int64_t>(train.vocab) > plan.stages[i].shape.vocab) {
      throw planner::InputError(
          plan.stages[i].location, fmt::format("stages[{}].vocab", i),
          fmt::format("{} is smaller than the data's vocabulary ({})", plan.stages[i].shape.vocab, train.vocab));
    }
  }
}

}  // namespace sprout::backend
