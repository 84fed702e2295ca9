// SPDX-License-Identifier: GPL-3.0-or-later
// The trainer's CPU kernels against LibTorch's unfused operations: the
// fused causal attention (kernels/causal_attention_cpu.h) gives softmax(q k^T
// scale + causal mask) (dropout) v and the three gradients of that formula
// (Vaswani et al. 2017, eq. 1) for every head size and length, with the
// dropout masks the trainer draws; the oneDNN linear (kernels/linear.h)
// gives x w^T + b and its gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "device/autocast.h"
#include "kernels/causal_attention_cpu.h"
#include "kernels/linear.h"
#include "step/dropout_mask.h"

namespace sprout::backend {
namespace {

// What gpt_forward.cc ran before the kernel: QK^T, scale, causal mask,
// softmax, the keep mask scaled by 1 / (1 - p), x V.
torch::Tensor unfused_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                                const torch::Tensor& keep, double dropout) {
  const int64_t s = q.size(2);
  auto scores = at::matmul(q, k.transpose(-2, -1)).mul(scale);
  scores = scores.masked_fill(torch::ones({s, s}, torch::kBool).triu(1), -std::numeric_limits<float>::infinity());
  auto probs = at::softmax(scores, -1);
  if (keep.defined()) probs = probs * keep / (1.0 - dropout);
  return at::matmul(probs, v);
}

// q, k, v as the trainer hands them over: [batch, heads, s, d] views of one
// [batch, s, 3 x heads x d] QKV output (last dimension contiguous, rows
// 3 x heads x d apart).
std::vector<torch::Tensor> qkv_views(int64_t batch, int64_t heads, int64_t s, int64_t d) {
  const torch::Tensor qkv = torch::randn({batch, s, 3 * heads * d});
  std::vector<torch::Tensor> out;
  for (int i = 0; i < 3; ++i) {
    out.push_back(qkv.narrow(2, i * heads * d, heads * d).view({batch, s, heads, d}).transpose(1, 2).detach());
  }
  return out;
}

double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

struct AttentionCase {
  int64_t batch, heads, s, d;
  double dropout;
};

class CausalAttentionCpu : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(CausalAttentionCpu, GivesTheUnfusedCoresOutputAndGradients) {
  const auto [batch, heads, s, d, dropout] = GetParam();
  torch::manual_seed(7);
  const auto views = qkv_views(batch, heads, s, d);
  torch::Tensor keep;
  if (dropout > 0) {
    keep = philox_keep_mask({batch, heads, s, s}, whole_tensor(batch * heads * s * s), dropout, 11, 3, torch::kCPU);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const torch::Tensor d_out = torch::randn({batch, heads, s, d});
  std::vector<torch::Tensor> fused_in, unfused_in;
  for (const auto& t : views) {
    fused_in.push_back(t.clone().set_requires_grad(true));
    unfused_in.push_back(t.clone().set_requires_grad(true));
  }
  // The same strides as the trainer's views (clone keeps them).
  ASSERT_FALSE(fused_in[0].is_contiguous());
  const torch::Tensor fused = cpu_causal_attention(fused_in[0], fused_in[1], fused_in[2], scale, keep, dropout);
  const torch::Tensor unfused = unfused_attention(unfused_in[0], unfused_in[1], unfused_in[2], scale, keep, dropout);
  (fused * d_out).sum().backward();
  (unfused * d_out).sum().backward();
  // fp32 sums in another order: relative differences of a few ulps of the
  // largest value (measured <= 3e-6).
  EXPECT_LT(relative_difference(fused, unfused), 2e-5);
  for (int i = 0; i < 3; ++i) EXPECT_LT(relative_difference(fused_in[i].grad(), unfused_in[i].grad()), 2e-5) << i;
  // The output is laid out [batch, s, heads, d]: merging the heads is a view.
  EXPECT_TRUE(fused.transpose(1, 2).is_contiguous());
  // Causal: the first position sees itself only, so its output is its v.
  if (dropout == 0) {
    EXPECT_TRUE(torch::allclose(fused.select(2, 0), views[2].select(2, 0), 1e-6, 1e-6));
  }
}

// Head sizes with their own code (16, 64) and one without (24); lengths
// that are and are not multiples of the 16-wide blocks; with dropout.
INSTANTIATE_TEST_SUITE_P(HeadSizesLengthsAndDropout, CausalAttentionCpu,
                         ::testing::Values(AttentionCase{2, 4, 128, 16, 0.0}, AttentionCase{2, 3, 37, 16, 0.0},
                                           AttentionCase{1, 2, 70, 64, 0.0}, AttentionCase{2, 2, 33, 24, 0.0},
                                           AttentionCase{2, 4, 64, 16, 0.1}, AttentionCase{1, 2, 50, 32, 0.3}));

TEST(CausalAttentionCpu, RunsForFp32OnTheCpuOnlyWithoutAutocast) {
  const torch::Tensor q = torch::randn({1, 1, 4, 16});
  EXPECT_TRUE(cpu_causal_attention_applies(q));
  EXPECT_FALSE(cpu_causal_attention_applies(q.to(torch::kBFloat16)));
  EXPECT_FALSE(cpu_causal_attention_applies(q.to(torch::kFloat64)));
  const AutocastGuard autocast(true, torch::kCPU);
  EXPECT_FALSE(cpu_causal_attention_applies(q));
}

TEST(OnednnLinear, GivesAtLinearsOutputAndGradients) {
  torch::manual_seed(3);
  // Built with libdnnl-dev (scripts/install-deps.sh installs it).
  ASSERT_TRUE(onednn_linear_applies(torch::zeros({1})));
  for (const bool biased : {true, false}) {
    auto x = torch::randn({4, 33, 48}).set_requires_grad(true);
    auto w = (torch::randn({80, 48}) * 0.2).set_requires_grad(true);
    auto b = torch::randn({80}).set_requires_grad(true);
    auto x2 = x.detach().clone().set_requires_grad(true), w2 = w.detach().clone().set_requires_grad(true),
         b2 = b.detach().clone().set_requires_grad(true);
    const torch::Tensor y = linear_layer(x, w, biased ? b : torch::Tensor());
    const torch::Tensor ref = biased ? at::linear(x2, w2, b2) : at::linear(x2, w2);
    ASSERT_EQ(y.sizes(), ref.sizes());
    const torch::Tensor g = torch::randn(ref.sizes());
    (y * g).sum().backward();
    (ref * g).sum().backward();
    EXPECT_LT(relative_difference(y, ref), 1e-5);
    EXPECT_LT(relative_difference(x.grad(), x2.grad()), 1e-5);
    EXPECT_LT(relative_difference(w.grad(), w2.grad()), 1e-5);
    if (biased) {
      EXPECT_LT(relative_difference(b.grad(), b2.grad()), 1e-5);
    } else {
      EXPECT_FALSE(b.grad().defined());
    }
  }
  // A transposed (non-contiguous) input gives the same as its copy.
  const torch::Tensor xt = torch::randn({48, 6}).t();
  const torch::Tensor w = torch::randn({5, 48});
  EXPECT_TRUE(torch::allclose(linear_layer(xt, w), at::linear(xt.contiguous(), w), 1e-5, 1e-5));
}

TEST(OnednnLinear, LeavesBf16AndAutocastToLibTorch) {
  EXPECT_FALSE(onednn_linear_applies(torch::zeros({1}, torch::kBFloat16)));
  const AutocastGuard autocast(true, torch::kCPU);
  EXPECT_FALSE(onednn_linear_applies(torch::zeros({1})));
  // Under autocast the layer is at::linear's: a bf16 result.
  EXPECT_EQ(linear_layer(torch::randn({2, 8}), torch::randn({4, 8})).scalar_type(), torch::kBFloat16);
}

}  // namespace
}  // namespace sprout::backend
