// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/trainer_operations_probe.h"

#include <torch/autograd.h>
#include <torch/cuda.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "device/autocast.h"
#include "kernels/causal_attention_cpu.h"
#include "model/adamw.h"
#include "model/norms.h"
#include "model/parameter_layout.h"
#include "model/positions.h"
#include "probe/probe_medians.h"
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

// Seconds of one forward under the trainer's autocast plus its backward
// (from ones prepared beforehand), each started with the caches holding
// other data: in a training step, the tensors an operation reads were
// written long before (its backward runs after the whole forward), so an
// operation timed on warm caches looked up to 2x faster than it runs there
// (fp32, whose tensors are twice bf16's: plans of hidden 64 came out 26-37%
// short).
void evict_caches(torch::Device device) {
  static torch::Tensor other_data;  // 64 MiB: larger than a CPU's last-level cache
  if (!other_data.defined() || other_data.device() != device) {
    other_data = torch::zeros({16LL << 20}, torch::TensorOptions().device(device));
  }
  other_data.add_(1.0);
  if (device.is_cuda()) torch::cuda::synchronize();
}

double cold_forward_backward_seconds(bool autocast, torch::Device device,
                                     const std::function<std::vector<torch::Tensor>()>& forward,
                                     std::vector<torch::Tensor>& leaves) {
  std::vector<torch::Tensor> outputs;
  evict_caches(device);
  const double forward_s = device_seconds(device, [&] {
    AutocastGuard guard(autocast, device);
    outputs = forward();
  });
  std::vector<torch::Tensor> grads;
  for (const auto& y : outputs) grads.push_back(torch::ones_like(y));
  evict_caches(device);
  const double backward_s = device_seconds(device, [&] { torch::autograd::backward(outputs, grads); });
  for (auto& leaf : leaves) leaf.mutable_grad() = torch::Tensor();
  return forward_s + backward_s;
}

using Measured = std::map<std::string, planner::SizedCost>;

// The operations of one layer of sizes `z`: elements and ns per element.
Measured measure_layer(const LayerSizes& z, bool bf16, torch::Device device, double budget_s) {
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

  Measured out;
  auto measure = [&](const std::string& op, double elements, const std::function<std::vector<torch::Tensor>()>& f,
                     std::vector<torch::Tensor> leaves) {
    const double s = median_seconds([&] { return cold_forward_backward_seconds(bf16, device, f, leaves); }, budget_s);
    out[op] = {elements, s / elements * 1e9};
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
  // The token embedding as gpt_forward.cc looks it up (fp32 weights, also
  // under autocast), its backward accumulating each token's gradient into
  // its row: a plan of hidden 64 spent 0.37 ms a micro-batch on it where
  // bandwidth predicted 0.04. An element is one looked-up element (tokens x
  // hidden); the rows are a byte vocabulary's, so the gradient's zero fill
  // over the vocabulary stays small (the planner adds it by bandwidth).
  constexpr int64_t kProbeVocab = 256;
  auto table = leaf(torch::randn({kProbeVocab, hidden}, stream_options));
  const auto ids =
      torch::randint(0, kProbeVocab, {z.batch, z.seq}, torch::TensorOptions().device(device).dtype(torch::kLong));
  measure("embedding", stream, [&] { return std::vector{at::embedding(table, ids)}; }, {table});
  // A biased linear layer's bias (GELU blocks), as kernels/linear.cc applies
  // it: broadcast into the output the GEMM then accumulates into, and its
  // gradient summed over the tokens from the output's gradient; an element
  // is an output element. On warm caches: the GEMM next to each touches the
  // same tensor (timed on cold ones through autograd, the kernels' dispatch
  // and cache misses came out 3x what a step spends on them).
  const torch::Tensor ffn_bias = torch::zeros({z.ffn}, computed_options);
  const torch::Tensor output_grad = torch::randn({z.tokens(), z.ffn}, computed_options);
  const double bias_s = median_seconds(
      [&] {
        return device_seconds(device, [&] {
          const torch::Tensor output = ffn_bias.expand({z.tokens(), z.ffn}).contiguous();
          const torch::Tensor bias_grad = output_grad.sum(0);
        });
      },
      budget_s);
  out["linear_bias"] = {ffn, bias_s / ffn * 1e9};
  // The fused attention core where the trainer runs it (fp32 on the CPU),
  // on q, k, v in the layout the QKV GEMM leaves them in; an element is a
  // score times the head size (its products' work grows with both).
  if (!bf16 && cpu_causal_attention_applies(q)) {
    auto v = heads_layout();
    measure("causal_attention", static_cast<double>(scores.numel() * z.head_dim),
            [&] {
              return std::vector{cpu_causal_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), 0.25)};
            },
            {q, k, v});
  }

  return out;
}

// The optimizer over a layer's parameters of sizes `z`, as a step runs it:
// clip the gradients' norm, then AdamW; per parameter. Every tensor of a
// GELU block with LayerNorms as sprout-train lays it out (gains, weights and
// biases: 16 tensors): the optimizer runs about ten kernels per tensor, and
// a layer's small tensors (biases, gains) cost those kernels' dispatch
// whatever their size; on the weight matrices alone a step's optimizer came
// out 2-3x short on the CPU matrix's plans.
planner::SizedCost measure_layer_optimizer(const LayerSizes& z, torch::Device device, double budget_s) {
  const auto options = torch::TensorOptions().device(device).dtype(torch::kFloat32);
  planner::ModelShape block;
  block.layers = 1;
  block.hidden = static_cast<int>(z.hidden());
  block.heads = block.kv_heads = static_cast<int>(z.heads);
  block.ffn_hidden = static_cast<int>(z.ffn);
  std::vector<torch::Tensor> params;
  for (const ParameterSpec& spec : block_parameter_specs(block, 0)) {
    params.push_back(torch::randn(storage_sizes(spec, block), options).set_requires_grad(true));
  }
  double count = 0;
  for (auto& p : params) {
    p.mutable_grad() = torch::randn_like(p);
    count += static_cast<double>(p.numel());
  }
  AdamWState state = make_adamw_state(params);
  const std::vector<bool> decay(params.size(), true);
  // Cold as in a step: the moments were last touched a step ago.
  const double s = median_seconds(
      [&] {
        evict_caches(device);
        return device_seconds(device, [&] {
          clip_grad_norm(params, 1.0);
          adamw_step(params, decay, state, AdamWSettings{}, 1e-4);
        });
      },
      budget_s);
  return {count, s / count * 1e9};
}

// The QKV weights concatenated for one GEMM (gpt_forward.cc's attention)
// and their gradient split back into theirs, for a layer of width
// `z.hidden()`: an element is one of the concatenated weights'. The weights
// stay fp32 under autocast. On warm caches, as linear_bias: the GEMM reads
// the concatenation, and its backward wrote the gradient split here.
planner::SizedCost measure_weight_concat(const LayerSizes& z, torch::Device device, double budget_s) {
  const auto options = torch::TensorOptions().device(device).dtype(torch::kFloat32);
  std::vector<torch::Tensor> weights;
  for (int i = 0; i < 3; ++i)
    weights.push_back(torch::randn({z.hidden(), z.hidden()}, options).set_requires_grad(true));
  const torch::Tensor grad = torch::randn({3 * z.hidden(), z.hidden()}, options);
  const double s = median_seconds(
      [&] {
        const double seconds = device_seconds(device, [&] { torch::autograd::backward({at::cat(weights)}, {grad}); });
        for (auto& w : weights) w.mutable_grad() = torch::Tensor();
        return seconds;
      },
      budget_s);
  const double elements = 3.0 * static_cast<double>(z.hidden() * z.hidden());
  return {elements, s / elements * 1e9};
}

}  // namespace

TrainerOperationsByDtype sweep_trainer_operations(const std::vector<std::string>& dtypes, torch::Device device,
                                                  double budget_s) {
  // Three sizes 4x apart (a quarter of the layer, the layer, four times it):
  // an operation's cost per element falls as its tensors grow (dispatch and
  // threading amortised), by up to 2x over the CPU plans' range. The
  // optimizer's and the QKV concatenation's size is a layer's width
  // (hidden / 2, hidden, 2 hidden). The dtypes take turns at each size:
  // timed one after the other, the fp32 half of three quick profiles in a
  // row came out 45-110% slower than the trainings it predicted
  // (docs/compare.md "Sixth run", run G), the bf16 half not.
  const LayerSizes base = layer_sizes(device);
  TrainerOperationsByDtype costs;
  for (int step = 0; step < 3; ++step) {
    LayerSizes z = base;
    z.batch = std::max<int64_t>(1, base.batch * (1 << (2 * step)) / 4);
    LayerSizes wide = base;
    wide.head_dim = base.head_dim * (1 << step) / 2;
    wide.ffn = base.ffn * (1 << step) / 2;
    for (const std::string& dtype : dtypes) {
      Measured layer = measure_layer(z, dtype == "bf16", device, budget_s);
      layer["adamw"] = measure_layer_optimizer(wide, device, budget_s);
      layer["weight_concat"] = measure_weight_concat(wide, device, budget_s);
      for (const auto& [op, cost] : layer) costs[dtype][op].push_back(cost);
    }
  }
  return costs;
}

TrainerOperationsByDtype median_over_sweeps(const std::vector<TrainerOperationsByDtype>& sweeps) {
  TrainerOperationsByDtype out;
  for (const auto& [dtype, ops] : sweeps.front()) {
    for (const auto& [op, sizes] : ops) {
      for (size_t size = 0; size < sizes.size(); ++size) {
        std::vector<double> ns;
        for (const auto& sweep : sweeps) ns.push_back(sweep.at(dtype).at(op).at(size).ns);
        out[dtype][op].push_back({sizes[size].elements, median_of(std::move(ns))});
      }
    }
  }
  return out;
}

}  // namespace sprout::backend
