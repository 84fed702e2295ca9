// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/pipeline_order.h"

#include <algorithm>
#include <utility>

namespace sprout::planner {
namespace {

// (micro-batch, chunk) of the k-th forward of a rank: micro-batches in groups
// of p, each group through chunk 0, then chunk 1, ... (the last group may be
// smaller when p does not divide m).
std::vector<std::pair<int, int>> schedule_table(int stages, int chunks, int micro_batches) {
  std::vector<std::pair<int, int>> table;
  table.reserve(static_cast<size_t>(chunks) * micro_batches);
  for (int group = 0; group < micro_batches; group += stages) {
    const int group_end = std::min(group + stages, micro_batches);
    for (int chunk = 0; chunk < chunks; ++chunk) {
      for (int mb = group; mb < group_end; ++mb) table.emplace_back(mb, chunk);
    }
  }
  return table;
}

}  // namespace

std::vector<PipelineOp> pipeline_order(int rank, int stages, int chunks, int micro_batches) {
  const int total = chunks * micro_batches;
  int warmup = 0;
  if (chunks == 1) {
    warmup = std::min(stages - rank - 1, micro_batches);
  } else if (micro_batches == stages) {
    warmup = total;  // Megatron runs every forward first in this case
  } else {
    warmup = std::min(2 * (stages - rank - 1) + (chunks - 1) * stages, total);
  }
  const auto table = schedule_table(stages, chunks, micro_batches);
  auto forward = [&](int k) { return PipelineOp{true, table[k].second, table[k].first}; };
  // Backwards visit the chunks in reverse: the last chunk's gradient comes first.
  auto backward = [&](int k) { return PipelineOp{false, chunks - 1 - table[k].second, table[k].first}; };

  std::vector<PipelineOp> order;
  order.reserve(2 * static_cast<size_t>(total));
  for (int k = 0; k < warmup; ++k) order.push_back(forward(k));
  const int steady = total - warmup;
  for (int k = 0; k < steady; ++k) {
    order.push_back(forward(warmup + k));
    order.push_back(backward(k));
  }
  for (int k = steady; k < total; ++k) order.push_back(backward(k));
  return order;
}

}  // namespace sprout::planner
