// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/megatron_source.h"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {
namespace {

// The part's own seed: parts (and blended datasets: `seed` differs) shuffle independently.
uint64_t part_seed(uint64_t seed, uint64_t part) { return planner::splitmix64(seed ^ (0x5eed0000u + part)); }

GptSamples part_samples(const std::shared_ptr<const IndexedDataset>& data, const MegatronSourceSpec& spec,
                        const std::vector<int64_t>& bookends, size_t part, int64_t samples) {
  const GptSampleSpec s{bookends[part], bookends[part + 1], spec.seq_len, samples, part_seed(spec.seed, part)};
  if (data->tokens_in(s.first_document, s.end_document) < spec.seq_len + 1) {
    throw planner::InputError(
        {megatron_index_path(data->prefix()), 0, 0}, "documents",
        fmt::format("the {} part (sequences {}..{} of {} by training.data_split) holds {} tokens, fewer than one "
                    "window of seq_len {} + 1",
                    part == 0 ? "train" : "validation", s.first_document, s.end_document, data->sequence_count(),
                    data->tokens_in(s.first_document, s.end_document), spec.seq_len));
  }
  return GptSamples(data, s);
}

// Every token of the dataset checked (< vocab); the train part's counted.
std::vector<int64_t> scanned_counts(const IndexedDataset& data, const std::vector<int64_t>& bookends, int64_t vocab) {
  std::vector<int64_t> counts(static_cast<size_t>(vocab <= kMaxCountedVocab ? vocab : 0), 0);
  data.scan_tokens(bookends[0], bookends[1], vocab, counts.empty() ? nullptr : &counts);
  data.scan_tokens(bookends[1], data.sequence_count(), vocab, nullptr);
  return counts;
}

}  // namespace

std::vector<int64_t> split_bookends(const std::vector<double>& weights, int64_t documents) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<int64_t> bookends = {0};
  double cumulative = 0;
  for (double w : weights) {
    cumulative += w / sum;
    bookends.push_back(static_cast<int64_t>(std::nearbyint(cumulative * static_cast<double>(documents))));
  }
  return bookends;
}

MegatronTokenSource::MegatronTokenSource(std::shared_ptr<const IndexedDataset> data, const MegatronSourceSpec& spec)
    : data_(std::move(data)),
      bookends_(split_bookends(spec.split, data_->sequence_count())),
      counts_(scanned_counts(*data_, bookends_, spec.vocab)),
      train_(part_samples(data_, spec, bookends_, 0, spec.training_samples)),
      validation_(part_samples(data_, spec, bookends_, 1, spec.validation_samples)) {}

int64_t MegatronTokenSource::training_tokens() const { return data_->tokens_in(bookends_[0], bookends_[1]); }
int64_t MegatronTokenSource::validation_tokens() const { return data_->tokens_in(bookends_[1], bookends_[2]); }

double MegatronTokenSource::unigram_entropy_nats() const { return backend::unigram_entropy_nats(counts_); }

std::string MegatronTokenSource::describe() const {
  return fmt::format("Megatron-LM dataset {} ({} tokens, {} documents; {} training epoch(s))", data_->prefix(),
                     dtype_name(data_->dtype()), data_->document_count(), train_.epochs());
}

}  // namespace sprout::backend
