// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/linear.h"

#include <ATen/record_function.h>
#include <torch/autograd.h>

#include <stdexcept>
#include <string>

#include "device/autocast.h"

#ifdef SPROUT_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

namespace sprout::backend {
namespace {

#ifdef SPROUT_ONEDNN
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// C (m x n) = op(A) op(B) + beta C, row-major, op = transpose where 'T'.
void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, const torch::Tensor& a, const torch::Tensor& b,
          float beta, torch::Tensor& c) {
  const int64_t lda = trans_a == 'N' ? k : m, ldb = trans_b == 'N' ? n : k;
  const dnnl_status_t status = dnnl_sgemm(trans_a, trans_b, m, n, k, 1.0f, a.data_ptr<float>(), lda,
                                          b.data_ptr<float>(), ldb, beta, c.data_ptr<float>(), n);
  if (status != dnnl_success) throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(status) + ")");
}

class OnednnLinear : public torch::autograd::Function<OnednnLinear> {
 public:
  // `bias` empty (numel 0): none (autograd functions take defined tensors).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
    RECORD_FUNCTION("sprout::linear_forward", c10::ArrayRef<c10::IValue>{});  // named in profiler traces
    const int64_t in = weight.size(1), out = weight.size(0);
    const torch::Tensor rows = x.reshape({-1, in}).contiguous(), w = weight.contiguous();
    const int64_t m = rows.size(0);
    torch::Tensor y;
    if (bias.numel() > 0) {
      y = bias.expand({m, out}).contiguous();
    } else {
      y = torch::empty({m, out}, x.options());
    }
    gemm('N', 'T', m, out, in, rows, w, bias.numel() > 0 ? 1.0f : 0.0f, y);
    ctx->save_for_backward({rows, w});
    ctx->saved_data["biased"] = bias.numel() > 0;
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = out;
    return y.view(sizes);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &rows = saved[0], &w = saved[1];
    const int64_t m = rows.size(0), in = w.size(1), out = w.size(0);
    const torch::Tensor d_y = grads[0].reshape({m, out}).contiguous();
    torch::Tensor d_rows = torch::empty({m, in}, rows.options());
    gemm('N', 'N', m, in, out, d_y, w, 0.0f, d_rows);  // dX = dY W
    torch::Tensor d_w = torch::empty({out, in}, w.options());
    gemm('T', 'N', out, in, m, d_y, rows, 0.0f, d_w);  // dW = dY^T X
    std::vector<int64_t> x_sizes = grads[0].sizes().vec();
    x_sizes.back() = in;
    const torch::Tensor d_b = ctx->saved_data["biased"].toBool() ? d_y.sum(0) : torch::Tensor();
    return {d_rows.view(x_sizes), d_w, d_b};
  }
};
#endif

}  // namespace

bool onednn_linear_applies(const torch::Tensor& x) {
#ifdef SPROUT_ONEDNN
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && !autocast_enabled(torch::kCPU);
#else
  (void)x;
  return false;
#endif
}

torch::Tensor linear_layer(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
#ifdef SPROUT_ONEDNN
  if (onednn_linear_applies(x) && w.scalar_type() == torch::kFloat32) {
    return OnednnLinear::apply(x, w, b.defined() ? b : torch::empty({0}, w.options()));
  }
#endif
  return b.defined() ? at::linear(x, w, b) : at::linear(x, w);
}

}  // namespace sprout::backend
