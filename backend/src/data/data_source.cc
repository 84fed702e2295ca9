// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/data_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "data/blend_source.h"
#include "data/corpus.h"
#include "data/indexed_dataset.h"
#include "data/megatron_source.h"
#include "data/shard_source.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

enum class DataKind { kShards, kMegatron, kText };

struct DataPath {
  DataKind kind;
  std::string path;  // shard directory, Megatron prefix or text file
};

// What a path names. A directory without a Megatron dataset counts as a shard
// directory (its missing train.bin is then the error).
DataPath classify(const std::string& path, const std::string& field) {
  if (fs::exists(megatron_index_path(path)) || fs::exists(megatron_data_path(path))) return {DataKind::kMegatron, path};
  if (fs::is_directory(path)) {
    const std::string prefix = (fs::path(path) / kMegatronPrefixName).string();
    const bool megatron = !fs::exists(fs::path(path) / kTrainShardName) && fs::exists(megatron_index_path(prefix));
    return megatron ? DataPath{DataKind::kMegatron, prefix} : DataPath{DataKind::kShards, path};
  }
  if (fs::exists(path)) return {DataKind::kText, path};
  throw planner::InputError({path, 0, 0}, field, "no such file or directory");
}

// The tokenizer record beside a dataset (in the shard directory, or in the
// directory of a Megatron prefix).
std::optional<TokenizerRecord> record_of(const DataPath& d) {
  return read_tokenizer_record(d.kind == DataKind::kShards ? d.path : fs::path(d.path).parent_path().string());
}

void check_plan_vocabulary(const planner::Plan& plan, const TokenizerRecord& record) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const int64_t vocab = plan.stages[i].shape.vocab;
    if (vocabulary_fits(vocab, record)) continue;
    const int64_t padded = padded_vocabulary(record.vocab);
    throw planner::InputError(
        plan.stages[i].location, fmt::format("stages[{}].vocab", i),
        fmt::format("{} disagrees with the data's tokenizer ({}, vocab {}, {}): use {}{}", vocab, record.name,
                    record.vocab, record.path, record.vocab,
                    padded != record.vocab ? fmt::format(" or, padded, {}", padded) : std::string()));
  }
}

void check_shard_vocabulary(const planner::Plan& plan, const TokenShard& train) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    if (static_cast<int64_t>(train.vocab()) > plan.stages[i].shape.vocab) {
      throw planner::InputError(
          plan.stages[i].location, fmt::format("stages[{}].vocab", i),
          fmt::format("{} is smaller than the data's vocabulary ({})", plan.stages[i].shape.vocab, train.vocab()));
    }
  }
}

std::unique_ptr<TokenSource> open_part(const DataPath& d, const std::optional<TokenizerRecord>& record,
                                       const planner::Plan& plan, const DataNeeds& needs, int64_t windows,
                                       uint64_t seed) {
  if (d.kind == DataKind::kShards) {
    if (plan.training.key_locations.count("data_split")) {
      // Refused rather than ignored: the shards' split was made by prepare.
      throw planner::InputError(planner::training_key_location(plan, "data_split"), "training.data_split",
                                "applies to Megatron-LM datasets only; token shards (" + d.path +
                                    ") were split by `sprout-train prepare --validation-every`");
    }
    TokenShard train((fs::path(d.path) / kTrainShardName).string());
    TokenShard validation((fs::path(d.path) / kValidationShardName).string());
    if (!record) check_shard_vocabulary(plan, train);
    return std::make_unique<ShardTokenSource>(std::move(train), std::move(validation), seed, needs.seq_len);
  }
  const MegatronSourceSpec spec{.split = plan.training.data_split,
                                .seq_len = needs.seq_len,
                                .training_samples = windows,
                                .validation_samples = needs.validation_windows,
                                .seed = seed,
                                .vocab = record ? record->vocab : plan.stages.front().shape.vocab};
  return std::make_unique<MegatronTokenSource>(std::make_shared<const IndexedDataset>(d.path), spec);
}

std::string describe(const TokenizerRecord& r) { return fmt::format("{} vocab {} ({})", r.name, r.vocab, r.path); }

// Every part's tokenizer alike (those that have a record).
std::optional<TokenizerRecord> common_tokenizer(const std::vector<std::optional<TokenizerRecord>>& records,
                                                const planner::Plan& plan) {
  std::optional<TokenizerRecord> first;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!records[i]) continue;
    if (!first) {
      first = records[i];
    } else if (records[i]->name != first->name || records[i]->vocab != first->vocab ||
               records[i]->model_sha256 != first->model_sha256) {
      throw planner::InputError(
          planner::training_key_location(plan, "data"), fmt::format("training.data[{}]", i),
          "its tokenizer (" + describe(*records[i]) + ") is not the blend's first one (" + describe(*first) + ")");
    }
  }
  return first;
}

}  // namespace

DataSource resolve_data(const std::string& data, const planner::Plan& plan, const std::string& prepared_dir) {
  const bool ready = fs::exists(fs::path(prepared_dir) / kTrainShardName);
  const std::vector<std::string> nothing;
  if (data.empty() && !plan.training.data_blend.empty()) {
    DataSource blend;
    for (size_t i = 0; i < plan.training.data_blend.size(); ++i) {
      const planner::WeightedData& part = plan.training.data_blend[i];
      const DataPath d = classify(part.path, fmt::format("training.data[{}]", i));
      if (d.kind == DataKind::kText) {
        throw planner::InputError({part.path, 0, 0}, fmt::format("training.data[{}]", i),
                                  "a blend names prepared data (a token shard directory or a Megatron-LM prefix), "
                                  "not text: run `sprout-train prepare` on it first");
      }
      blend.parts.push_back({d.path, part.weight});
    }
    return blend;
  }
  if (data.empty()) {
    DataSource d{{{prepared_dir, 1}}, ready ? nothing : default_corpus_files()};
    if (!ready && d.text_to_prepare.empty()) {
      throw planner::InputError(planner::training_key_location(plan, "data"), "training.data",
                                "no data given and the default corpus (/usr/share/games/fortunes, Debian package "
                                "fortunes) is not installed: run scripts/install-deps.sh or set training.data");
    }
    return d;
  }
  const DataPath d = classify(data, "training.data");
  if (d.kind != DataKind::kText) return {{{d.path, 1}}, nothing};
  return {{{prepared_dir, 1}}, ready ? nothing : std::vector<std::string>{data}};
}

void prepare_data(const DataSource& source, const std::function<void(const std::string&)>& progress) {
  if (source.text_to_prepare.empty()) return;
  PrepareOptions po;
  po.inputs = source.text_to_prepare;
  po.out_dir = source.parts.front().path;
  progress(fmt::format("preparing {} text file(s) into {}", po.inputs.size(), po.out_dir));
  prepare_corpus(po);
}

TrainingData open_training_data(const DataSource& source, const planner::Plan& plan, const DataNeeds& needs) {
  std::vector<DataPath> paths;
  std::vector<std::optional<TokenizerRecord>> records;
  for (size_t i = 0; i < source.parts.size(); ++i) {
    paths.push_back(classify(source.parts[i].path, source.parts.size() > 1 ? fmt::format("training.data[{}]", i)
                                                                           : std::string("training.data")));
    records.push_back(record_of(paths.back()));
  }
  TrainingData out;
  out.tokenizer = common_tokenizer(records, plan);
  if (out.tokenizer) check_plan_vocabulary(plan, *out.tokenizer);
  if (plan.training.eod_mask_loss) {
    if (!out.tokenizer || !out.tokenizer->eod) {
      throw planner::InputError(
          planner::training_key_location(plan, "eod_mask_loss"), "training.eod_mask_loss",
          out.tokenizer ? "the data's tokenizer (" + describe(*out.tokenizer) + ") has no end-of-document token"
                        : "the data has no tokenizer record (tokenizer.json) naming an "
                          "end-of-document token");
    }
    out.loss_masked_eod = out.tokenizer->eod;
  }
  if (paths.size() == 1) {
    out.source = open_part(paths[0], records[0], plan, needs, needs.training_windows, needs.seed);
    return out;
  }
  std::vector<double> weights;
  for (const auto& part : source.parts) weights.push_back(part.weight);
  BlendIndex index(weights, std::max<int64_t>(1, needs.training_windows));
  std::vector<std::unique_ptr<TokenSource>> parts;
  for (size_t d = 0; d < paths.size(); ++d) {
    const uint64_t seed = planner::splitmix64_output(needs.seed, d + 1);
    parts.push_back(open_part(paths[d], records[d], plan, needs, index.samples_of(static_cast<int>(d)), seed));
  }
  out.source = std::make_unique<BlendTokenSource>(std::move(index), std::move(parts));
  return out;
}

}  // namespace sprout::backend
