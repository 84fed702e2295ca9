// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/trainer_operations_probe.h"

#include <torch/autograd.h>

#include <limits>
#include <vector>

#include "device/autocast.h"
#include "model/adamw.h"
#include "model/norms.h"
#include "model/positions.h"
#include "sprout/planner/model/hardware_profile.h"

namespace sprout::backend {
namespace {

// A layer of the sizes this machine trains: plans/cpu-matrix's on a CPU
// (micro-batch 8 x 128 tokens, hidden 128 in 8 heads, FFN 512), a billion-
// parameter model's on a GPU.
struct LayerSizes {
  int64_t batch, seq, heads, head_dim, ffn;
  int64_t hidden() const { return heads * head_dim; }
  int64_t tokens() const { return batch * seq; }
};
LayerSizes layer_sizes(torch::Device device) {
  return device.is_cuda() ? LayerSizes{4, 1024, 16, 128, 8192} : LayerSizes{8, 128, 8, 16, 512};
}

// Forward under the trainer's autocast, then backward from ones.
void forward_backward(bool autocast, torch::Device device, const std::function<std::vector<torch::Tensor>()>& forward,
                      std::vector<torch::Tensor> leaves) {
  std::vector<torch::Tensor> outputs;
  {
    AutocastGuard guard(autocast, device);
    outputs = forward();
  }
  std::vector<torch::Tensor> grads;
  for (const auto& y : outputs) grads.push_back(torch::ones_like(y));
  torch::autograd::backward(outputs, grads);
  for (auto& leaf : leaves) leaf.mutable_grad() = torch::Tensor();
}

}  // namespace

std::map<std::string, double> measure_trainer_operations(
    const std::string& dtype, torch::Device device, double budget_s,
    const std::function<double(const std::function<void()>&, double)>& time_median) {
  const bool bf16 = dtype == "bf16";
  const LayerSizes z = layer_sizes(device);
  // The residual stream stays fp32 (the embedding's dtype); what a linear or
  // matmul returns is bf16 under autocast.
  const auto stream_options = torch::TensorOptions().device(device).dtype(torch::kFloat32);
  const auto computed_options = stream_options.dtype(bf16 ? torch::kBFloat16 : torch::kFloat32);
  auto leaf = [](torch::Tensor t) { return t.set_requires_grad(true); };
  const int64_t hidden = z.hidden();
  auto x = leaf(torch::randn({z.batch, z.seq, hidden}, stream_options));
  auto gain = leaf(torch::ones({hidden}, stream_options)), bias = leaf(torch::zeros({hidden}, stream_options));
  auto block_out = leaf(torch::randn({z.batch, z.seq, hidden}, computed_options));
  auto heads_layout = [&] { return leaf(torch::randn({z.batch, z.seq, z.heads, z.head_dim}, computed_options)); };
  auto q = heads_layout(), k = heads_layout();
  auto gate = leaf(torch::randn({z.tokens(), z.ffn}, computed_options));
  auto up = leaf(torch::randn({z.tokens(), z.ffn}, computed_options));
  auto scores = leaf(torch::randn({z.batch, z.heads, z.seq, z.seq}, computed_options));
  const auto causal = torch::ones({z.seq, z.seq}, torch::TensorOptions().dtype(torch::kBool).device(device)).triu(1);

  std::map<std::string, double> ns;
  auto measure = [&](const std::string& op, double elements, const std::function<std::vector<torch::Tensor>()>& f,
                     std::vector<torch::Tensor> leaves) {
    const double s = time_median([&] { forward_backward(bf16, device, f, leaves); }, budget_s);
    ns[op] = s / elements * 1e9;
  };
  const double stream = static_cast<double>(x.numel());
  measure("layer_norm", stream, [&] { return std::vector{layer_norm(x, gain, bias)}; }, {x, gain, bias});
  measure("rms_norm", stream, [&] { return std::vector{rms_norm(x, gain)}; }, {x, gain});
  measure("residual_add", stream, [&] { return std::vector{x + block_out}; }, {x, block_out});
  measure("rotary", 2.0 * static_cast<double>(q.numel()),
          [&] {
            auto [qr, kr] = apply_positions(planner::PositionEmbedding::kRotary, q.transpose(1, 2), k.transpose(1, 2));
            return std::vector{qr, kr};
          },
          {q, k});
  const double ffn = static_cast<double>(gate.numel());
  measure("gelu", ffn, [&] { return std::vector{at::gelu(gate)}; }, {gate});
  measure("swiglu", ffn, [&] { return std::vector{at::silu(gate) * up}; }, {gate, up});
  measure("attention_scores", static_cast<double>(scores.numel()),
          [&] {
            torch::Tensor s = scores.mul(0.25);
            s.masked_fill_(causal, -std::numeric_limits<float>::infinity());
            return std::vector{at::softmax(s, -1)};
          },
          {scores});
  measure("head_copy", static_cast<double>(q.numel()), [&] { return std::vector{q.transpose(1, 2).contiguous()}; },
          {q});

  // The optimizer over a layer's worth of parameters, as a step runs it:
  // clip the gradients' norm, then AdamW.
  std::vector<torch::Tensor> params = {leaf(torch::randn({3 * hidden, hidden}, stream_options)),
                                       leaf(torch::randn({z.ffn, hidden}, stream_options)),
                                       leaf(torch::randn({hidden, z.ffn}, stream_options))};
  double count = 0;
  for (auto& p : params) {
    p.mutable_grad() = torch::randn_like(p);
    count += static_cast<double>(p.numel());
  }
  AdamWState state = make_adamw_state(params);
  const std::vector<bool> decay(params.size(), true);
  const double s = time_median(
      [&] {
        clip_grad_norm(params, 1.0);
        adamw_step(params, decay, state, AdamWSettings{}, 1e-4);
      },
      budget_s);
  ns["adamw"] = s / count * 1e9;
  return ns;
}

}  // namespace sprout::backend
