// SPDX-License-Identifier: GPL-3.0-or-later
// unigram_entropy_nats (token_dtype.h), apart from the token readers so that
// they build without LibTorch (the fuzz build compiles them alone, tests/fuzz/).
#include <torch/torch.h>

#include "data/token_dtype.h"

namespace sprout::backend {

double unigram_entropy_nats(const std::vector<int64_t>& counts) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  if (total == 0) return 0;
  // As torch computed it when shards were read whole (the same bits in summary.json).
  const torch::Tensor c = torch::tensor(counts, torch::kInt64).to(torch::kFloat64);
  const torch::Tensor p = c / c.sum();
  const torch::Tensor nz = p.masked_select(p > 0);
  return -(nz * nz.log()).sum().item<double>();
}

}  // namespace sprout::backend
