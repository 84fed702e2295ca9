// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/batch_sampler.h"

namespace sprout::backend {
namespace {

// `read(i, window)` fills row i; inputs and targets are the row shifted by one.
template <typename ReadWindow>
TokenBatch gather(const TrainingData& data, int64_t seq_len, int64_t count, torch::Device device, ReadWindow read) {
  torch::Tensor windows = torch::empty({count, seq_len + 1}, torch::kInt64);
  int64_t* rows = windows.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) read(i, std::span<int64_t>(rows + i * (seq_len + 1), seq_len + 1));
  torch::Tensor inputs = windows.slice(1, 0, seq_len).contiguous();
  torch::Tensor targets = windows.slice(1, 1, seq_len + 1).contiguous();
  if (data.loss_masked_eod) targets.masked_fill_(inputs.eq(*data.loss_masked_eod), kIgnoredTarget);
  return {inputs.to(device), targets.to(device)};
}

}  // namespace

TokenBatch training_batch(const TrainingData& data, int64_t seq_len, int64_t first_sequence, int64_t count,
                          torch::Device device) {
  return gather(data, seq_len, count, device, [&](int64_t i, std::span<int64_t> window) {
    data.source->training_window(first_sequence + i, window);
  });
}

TokenBatch validation_batch(const TrainingData& data, int64_t seq_len, int64_t first_window, int64_t count,
                            int64_t total_windows, torch::Device device) {
  return gather(data, seq_len, count, device, [&](int64_t i, std::span<int64_t> window) {
    data.source->validation_window(first_window + i, total_windows, window);
  });
}

}  // namespace sprout::backend
