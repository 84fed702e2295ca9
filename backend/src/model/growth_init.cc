// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/growth_init.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <numbers>

#include "model/philox.h"

namespace sprout::backend {
namespace {

// N(0, 1) for full index `index` of parameter `parameter`: Box-Muller on
// two uniforms in (0, 1) (the +0.5 keeps log away from 0).
double standard_normal(uint64_t index, uint64_t parameter, const PhiloxKey& key) {
  const PhiloxCounter w =
      philox4x32_10({low_word(index), high_word(index), low_word(parameter), high_word(parameter)}, key);
  constexpr double kTwoTo32 = 4294967296.0;
  const double u1 = (static_cast<double>(w[0]) + 0.5) / kTwoTo32;
  const double u2 = (static_cast<double>(w[1]) + 0.5) / kTwoTo32;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

int64_t product(const std::vector<int64_t>& sizes, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t d = from; d < to; ++d) n *= sizes[d];
  return n;
}

}  // namespace

torch::Tensor grown_parameter_init(const ParameterSpec& spec, size_t parameter_index, const GptSettings& settings,
                                   uint64_t seed, const std::optional<LogicalBlock>& block) {
  std::vector<int64_t> logical = logical_sizes(spec, settings.shape);
  // The block as rows of the full tensor: `outer` rows of `extent` * `inner`
  // elements, row r's first element at full index (r * full_extent + begin) * inner.
  const size_t axis = block ? block->axis : 0;
  const int64_t full_extent = logical.empty() ? 1 : logical[axis];
  const int64_t begin = block ? block->begin : 0;
  const int64_t extent = block ? block->end - block->begin : full_extent;
  if (!logical.empty()) logical[axis] = extent;
  const auto options = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor out;
  switch (spec.init) {
    case Init::kOnes:
      out = torch::ones(logical, options);
      break;
    case Init::kZeros:
      out = torch::zeros(logical, options);
      break;
    case Init::kNormal:
    case Init::kNormalResidual: {
      const double std = normal_init_std(spec, settings);
      out = torch::empty(logical, options);
      const int64_t outer = logical.empty() ? 1 : product(logical, 0, axis);
      const int64_t inner = logical.empty() ? 1 : product(logical, axis + 1, logical.size());
      const int64_t row = extent * inner;
      const PhiloxKey key = {low_word(seed), high_word(seed)};
      float* data = out.data_ptr<float>();
      at::parallel_for(0, outer * row, 4096, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          const int64_t r = i / row;
          const auto full = static_cast<uint64_t>((r * full_extent + begin) * inner + i % row);
          data[i] = static_cast<float>(std * standard_normal(full, parameter_index, key));
        }
      });
      break;
    }
  }
  return out.reshape(storage_of(spec.axes, logical));
}

}  // namespace sprout::backend
