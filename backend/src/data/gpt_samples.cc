// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/gpt_samples.h"

#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {
namespace {

// Megatron-LM shuffles the final epoch apart from the others when less than
// this fraction of it is used (gpt_dataset.py), so that the samples drawn
// from it are not all from the documents that happened to come first.
constexpr double kSeparateFinalEpochBelow = 0.80;

}  // namespace

void shuffle_in_place(std::span<int64_t> values, uint64_t seed) {
  // i from the end: swap with a uniform j <= i (the modulo's bias is below
  // 2^-40 for any index that fits in memory).
  for (size_t i = values.size(); i > 1; --i) {
    const uint64_t j = planner::splitmix64_output(seed, i) % i;
    std::swap(values[i - 1], values[j]);
  }
}

GptSamples::GptSamples(std::shared_ptr<const IndexedDataset> data, const GptSampleSpec& spec)
    : data_(std::move(data)), spec_(spec) {
  const int64_t tokens_per_epoch = data_->tokens_in(spec.first_document, spec.end_document);
  if (tokens_per_epoch < spec.seq_len + 1) {
    throw planner::InputError({megatron_index_path(data_->prefix()), 0, 0}, "documents",
                              fmt::format("sequences {}..{} hold {} tokens, fewer than one sample of seq_len {} + 1",
                                          spec.first_document, spec.end_document, tokens_per_epoch, spec.seq_len));
  }
  // Whole epochs until the tokens cover the samples (one extra token: the
  // last sample's last target).
  const int64_t wanted = std::max<int64_t>(1, spec.samples) * spec.seq_len + 1;
  epochs_ = (wanted + tokens_per_epoch - 1) / tokens_per_epoch;
  if (epochs_ > 1) {
    samples_before_final_epoch_ = ((epochs_ - 1) * tokens_per_epoch - 1) / spec.seq_len;
    const int64_t per_epoch = (tokens_per_epoch - 1) / spec.seq_len;
    const int64_t from_final = std::max<int64_t>(1, spec.samples) - samples_before_final_epoch_;
    separate_final_epoch_ =
        from_final < static_cast<int64_t>(kSeparateFinalEpochBelow * static_cast<double>(per_epoch));
  }
  build_document_index();
  build_sample_index(tokens_per_epoch);
  build_shuffle_index();
}

void GptSamples::build_document_index() {
  const int64_t per_epoch = spec_.end_document - spec_.first_document;
  document_index_.resize(static_cast<size_t>(per_epoch * epochs_));
  for (int64_t e = 0; e < epochs_; ++e) {
    std::iota(document_index_.begin() + e * per_epoch, document_index_.begin() + (e + 1) * per_epoch,
              spec_.first_document);
  }
  const uint64_t seed = planner::splitmix64(spec_.seed ^ 0xd0c5u);
  const std::span<int64_t> all(document_index_);
  if (!separate_final_epoch_) {
    shuffle_in_place(all, seed);
  } else {
    const size_t before = static_cast<size_t>((epochs_ - 1) * per_epoch);
    shuffle_in_place(all.first(before), seed);
    shuffle_in_place(all.subspan(before), planner::splitmix64(seed));
  }
}

// Walks the document index taking seq_len + 1 tokens per sample; a sample
// ends on the token where the next one starts.
void GptSamples::build_sample_index(int64_t tokens_per_epoch) {
  const int64_t samples = (epochs_ * tokens_per_epoch - 1) / spec_.seq_len;
  sample_index_.reserve(2 * static_cast<size_t>(samples + 1));
  int64_t position = 0, offset = 0;
  sample_index_.insert(sample_index_.end(), {position, offset});
  const auto last = static_cast<int64_t>(document_index_.size()) - 1;
  for (int64_t s = 0; s < samples; ++s) {
    int64_t remaining = spec_.seq_len + 1;
    while (remaining > 0) {
      const int64_t length = data_->sequence_length(document_index_[static_cast<size_t>(position)]);
      const int64_t available = length - offset;
      if (available >= remaining) {
        offset += remaining - 1;
        remaining = 0;
      } else if (position == last) {
        offset = length - 1;  // only the final sample can end here
        remaining = 0;
      } else {
        remaining -= available;
        ++position;
        offset = 0;
      }
    }
    sample_index_.insert(sample_index_.end(), {position, offset});
  }
}

void GptSamples::build_shuffle_index() {
  const int64_t samples = static_cast<int64_t>(sample_index_.size() / 2) - 1;
  shuffle_index_.resize(static_cast<size_t>(samples));
  std::iota(shuffle_index_.begin(), shuffle_index_.end(), int64_t{0});
  const uint64_t seed = planner::splitmix64(spec_.seed ^ 0x5a3bu);
  const std::span<int64_t> all(shuffle_index_);
  if (!separate_final_epoch_ || samples_before_final_epoch_ >= samples) {
    shuffle_in_place(all, seed);
  } else {
    const size_t before = static_cast<size_t>(samples_before_final_epoch_);
    shuffle_in_place(all.first(before), seed);
    shuffle_in_place(all.subspan(before), planner::splitmix64(seed));
  }
}

void GptSamples::read(int64_t k, std::span<int64_t> out) const {
  const int64_t s = shuffle_index_[static_cast<size_t>(k % size())];
  auto [position, offset] = sample_start(s);
  const auto [end_position, end_offset] = sample_start(s + 1);
  size_t filled = 0;
  while (filled < out.size() && position <= end_position) {
    const int64_t document = document_index_[static_cast<size_t>(position)];
    const int64_t stop = position == end_position ? end_offset + 1 : data_->sequence_length(document);
    const int64_t n = std::min<int64_t>(stop - offset, static_cast<int64_t>(out.size() - filled));
    data_->read(document, offset, n, out.data() + filled);
    filled += static_cast<size_t>(n);
    ++position;
    offset = 0;
  }
  if (filled != out.size())
    throw std::logic_error(fmt::format("GPT sample {} is {} tokens short", s, out.size() - filled));
}

}  // namespace sprout::backend
