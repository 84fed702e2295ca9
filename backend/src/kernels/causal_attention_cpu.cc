// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/causal_attention_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>

#include <vector>

#include "device/autocast.h"
#include "kernels/causal_attention_head.h"

namespace sprout::backend {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows of head (b, h) of a [batch, heads, positions, size] tensor whose last
// dimension is contiguous (kernels::Rows or kernels::MutableRows).
template <typename HeadRows>
HeadRows rows_of(const torch::Tensor& t, int64_t b, int64_t h) {
  return {t.data_ptr<float>() + b * t.stride(0) + h * t.stride(1), t.stride(2)};
}
constexpr auto in_rows = rows_of<kernels::Rows>;
constexpr auto out_rows = rows_of<kernels::MutableRows>;

torch::Tensor with_contiguous_rows(const torch::Tensor& t) { return t.stride(-1) == 1 ? t : t.contiguous(); }

// [batch, heads, positions, size] storage laid out as [batch, positions,
// heads, size]: what the heads' merge after attention reads as a view.
torch::Tensor empty_heads_last(const torch::Tensor& like) {
  return torch::empty({like.size(0), like.size(2), like.size(1), like.size(3)}, like.options()).transpose(1, 2);
}

// Runs `per_head(b, h, scratch)` over every (batch, head) on LibTorch's
// intra-op threads, each thread with its own scratch of `scratch_floats`.
template <typename PerHead>
void for_each_head(int64_t batch, int64_t heads, int64_t scratch_floats, const PerHead& per_head) {
  at::parallel_for(0, batch * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(scratch_floats));
    for (int64_t i = begin; i < end; ++i) per_head(i / heads, i % heads, scratch.data());
  });
}

kernels::HeadShape head_shape(const torch::Tensor& q, double scale, double dropout) {
  return {q.size(2), q.size(3), static_cast<float>(scale), static_cast<float>(1.0 / (1.0 - dropout))};
}

// Head (b, h)'s s x s block of a contiguous [batch, heads, s, s] tensor
// (the probabilities, the keep mask); null for an empty tensor (no dropout).
float* scores_of(const torch::Tensor& t, int64_t b, int64_t h) {
  if (t.numel() == 0) return nullptr;
  return t.data_ptr<float>() + (b * t.size(1) + h) * t.size(2) * t.size(3);
}

class CausalAttention : public torch::autograd::Function<CausalAttention> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in, const torch::Tensor& k_in,
                               const torch::Tensor& v_in, const torch::Tensor& keep, double scale, double dropout) {
    RECORD_FUNCTION("sprout::causal_attention_forward", c10::ArrayRef<c10::IValue>{});  // named in profiler traces
    const torch::Tensor q = with_contiguous_rows(q_in), k = with_contiguous_rows(k_in), v = with_contiguous_rows(v_in);
    const int64_t batch = q.size(0), heads = q.size(1), s = q.size(2);
    torch::Tensor probs = torch::empty({batch, heads, s, s}, q.options());
    torch::Tensor out = empty_heads_last(q);
    const kernels::HeadShape shape = head_shape(q, scale, dropout);
    for_each_head(batch, heads, kernels::causal_head_scratch_floats(s, shape.size),
                  [&](int64_t b, int64_t h, float* scratch) {
                    const kernels::HeadForward head{in_rows(q, b, h),      in_rows(k, b, h),       in_rows(v, b, h),
                                                    scores_of(keep, b, h), scores_of(probs, b, h), out_rows(out, b, h)};
                    kernels::causal_head_forward(head, shape, scratch);
                  });
    ctx->save_for_backward({q, k, v, keep, probs});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["dropout"] = dropout;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &keep = saved[3], &probs = saved[4];
    const torch::Tensor d_out = with_contiguous_rows(grads[0]);
    const int64_t batch = q.size(0), heads = q.size(1), s = q.size(2);
    torch::Tensor dq = empty_heads_last(q), dk = empty_heads_last(k), dv = empty_heads_last(v);
    const kernels::HeadShape shape =
        head_shape(q, ctx->saved_data["scale"].toDouble(), ctx->saved_data["dropout"].toDouble());
    for_each_head(
        batch, heads, kernels::causal_head_scratch_floats(s, shape.size), [&](int64_t b, int64_t h, float* scratch) {
          const kernels::HeadBackward head{in_rows(q, b, h),     in_rows(k, b, h),      in_rows(v, b, h),
                                           in_rows(d_out, b, h), scores_of(keep, b, h), scores_of(probs, b, h),
                                           out_rows(dq, b, h),   out_rows(dk, b, h),    out_rows(dv, b, h)};
          kernels::causal_head_backward(head, shape, scratch);
        });
    return {dq, dk, dv, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool cpu_causal_attention_applies(const torch::Tensor& q) {
  return q.device().is_cpu() && q.scalar_type() == torch::kFloat32 && !autocast_enabled(torch::kCPU);
}

torch::Tensor cpu_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                                   const torch::Tensor& keep, double dropout) {
  // An empty mask stands for none (autograd functions take defined tensors).
  const torch::Tensor keep_rows =
      keep.defined() ? keep.to(torch::kFloat32).contiguous() : torch::empty({0}, q.options());
  return CausalAttention::apply(q, k, v, keep_rows, scale, keep.defined() ? dropout : 0.0);
}

}  // namespace sprout::backend
