// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/fused_attention.h"

#include <fmt/format.h>
#include <torch/version.h>

#include <cmath>
#include <stdexcept>

namespace sprout::backend {

bool fused_attention_available() { return TORCH_VERSION_MAJOR >= 2; }

std::string libtorch_version() { return fmt::format("{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR); }

torch::Tensor fused_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     double scale) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  // (query, key, value, attn_mask, dropout_p, is_causal, scale): `scale`
  // since 2.1; the MSG-masked head size's scale passes through unchanged.
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, scale);
#elif TORCH_VERSION_MAJOR == 2
  // 2.0 always divides by sqrt(head size): fold the wanted scale into q.
  const double head_size = static_cast<double>(q.size(-1));
  return at::scaled_dot_product_attention(q * (scale * std::sqrt(head_size)), k, v, {}, 0.0, true);
#else
  (void)q, (void)k, (void)v, (void)scale;
  throw std::logic_error("fused attention needs LibTorch 2.x; this build has LibTorch " + libtorch_version());
#endif
}

void check_attention_kernels(const planner::Plan& plan) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const planner::Stage& st = plan.stages[i];
    if (st.attention != planner::AttentionKernel::kFlash) continue;
    const std::string field = fmt::format("stages[{}].attention", i);
    if (st.dropout > 0) {
      throw planner::InputError(
          st.attention_location, field,
          fmt::format("flash with dropout {:g} is refused: the fused kernel draws its dropout masks from the device "
                      "RNG, which is not a function of (seed, micro-batch, element), so another TP/PP/DP layout or a "
                      "resume would not reproduce the run; use attention: standard or dropout: 0",
                      st.dropout));
    }
    if (!fused_attention_available()) {
      throw planner::InputError(
          st.attention_location, field,
          fmt::format("flash needs a LibTorch with scaled_dot_product_attention (2.x); this build "
                      "has LibTorch {}: use attention: standard",
                      libtorch_version()));
    }
  }
}

}  // namespace sprout::backend
