// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/positions.h"

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace sprout::backend {
namespace {

using planner::PositionEmbedding;

// The tables in double precision on the CPU (docs/formulas.md "Positions").
RotaryTables compute_tables(PositionEmbedding kind, int64_t seq_len, int64_t head_dim) {
  if (head_dim % 2 != 0) throw std::invalid_argument("rotary positions need an even head size");
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor pair = torch::arange(head_dim / 2, f64);                  // i
  const torch::Tensor theta = torch::pow(kRotaryBase, -2.0 * pair / head_dim);  // theta_i
  const torch::Tensor position = torch::arange(seq_len, f64).unsqueeze(1);      // n, [T, 1]
  const torch::Tensor angle = position * theta.unsqueeze(0);                    // n theta_i, [T, d/2]
  torch::Tensor query_scale = torch::ones_like(angle), key_scale = torch::ones_like(angle);
  if (kind == PositionEmbedding::kXpos) {
    // torchscale: min_pos = -(T // 2) rounded down, i.e. n - ceil(T / 2).
    const torch::Tensor centred = position - static_cast<double>((seq_len + 1) / 2);
    const torch::Tensor zeta = (2.0 * pair + kXposGamma * head_dim) / ((1.0 + kXposGamma) * head_dim);
    query_scale = torch::pow(zeta.unsqueeze(0), centred / kXposScaleBase);
    key_scale = 1.0 / query_scale;
  }
  auto both_halves = [](const torch::Tensor& t) { return torch::cat({t, t}, -1); };
  const torch::Tensor cos = angle.cos(), sin = angle.sin();
  return {both_halves(cos * query_scale), both_halves(sin * query_scale), both_halves(cos * key_scale),
          both_halves(sin * key_scale)};
}

using TableKey = std::tuple<int, int64_t, int64_t, int, int, int>;  // kind, T, d, device type/index, dtype

}  // namespace

RotaryTables rotary_tables(PositionEmbedding kind, int64_t seq_len, int64_t head_dim, torch::Device device,
                           torch::ScalarType dtype) {
  static std::mutex mutex;
  static std::map<TableKey, RotaryTables> cache;
  const TableKey key{static_cast<int>(kind),          seq_len,        head_dim,
                     static_cast<int>(device.type()), device.index(), static_cast<int>(dtype)};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    RotaryTables t = compute_tables(kind, seq_len, head_dim);
    for (torch::Tensor* table : {&t.query_cos, &t.query_sin, &t.key_cos, &t.key_sin}) {
      *table = table->to(device, dtype);
    }
    it = cache.emplace(key, std::move(t)).first;
  }
  return it->second;
}

torch::Tensor rotate_half(const torch::Tensor& x) {
  const auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}

std::pair<torch::Tensor, torch::Tensor> apply_positions(PositionEmbedding kind, const torch::Tensor& q,
                                                        const torch::Tensor& k) {
  if (!planner::rotates_queries_and_keys(kind)) return {q, k};
  const RotaryTables t = rotary_tables(kind, q.size(-2), q.size(-1), q.device(), q.scalar_type());
  return {q * t.query_cos + rotate_half(q) * t.query_sin, k * t.key_cos + rotate_half(k) * t.key_sin};
}

}  // namespace sprout::backend
