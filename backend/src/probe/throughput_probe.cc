// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/throughput_probe.h"

#include <fmt/format.h>
#include <torch/types.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "device/autocast.h"
#include "kernels/linear.h"
#include "probe/probe_medians.h"
#include "probe/trainer_operations_probe.h"
#include "probe/warmup_probe.h"

namespace sprout::backend {
namespace {

// Seconds of each of `shapes` shapes in each of `dtypes` dtypes
// (time(shape, dtype, budget_s)), [dtype][shape]: the median over
// kProbeSweeps sweeps through all of them (probe_medians.h), each sweep
// timing a shape in every dtype before the next shape. The larger shapes,
// timed last, were skewed by such bursts in one sweep (a quick profile 40%
// slow for them); a dtype timed after the other came out slower than its
// trainings where the other did not (docs/compare.md "Sixth run", run G).
template <typename F>
std::vector<std::vector<double>> swept_seconds(size_t shapes, size_t dtypes, double budget_s, F&& time) {
  std::vector<std::vector<std::vector<double>>> samples(dtypes, std::vector<std::vector<double>>(shapes));
  for (int sweep = 0; sweep < kProbeSweeps; ++sweep) {
    for (size_t s = 0; s < shapes; ++s) {
      for (size_t d = 0; d < dtypes; ++d) samples[d][s].push_back(time(s, d, budget_s / kProbeSweeps));
    }
  }
  std::vector<std::vector<double>> out(dtypes);
  for (size_t d = 0; d < dtypes; ++d) {
    for (auto& s : samples[d]) out[d].push_back(median_of(std::move(s)));
  }
  return out;
}

torch::ScalarType gemm_dtype(const std::string& dtype) { return dtype == "bf16" ? torch::kBFloat16 : torch::kFloat32; }

// Matmul shapes of transformer layers: tokens x hidden by hidden x {hidden,
// 4 hidden}, and square ones to span sizes smaller and larger. A GPU gets
// the widths of the models it trains (FLM-101B's 10240 wide layers reach
// 1e12-1e13 FLOPs per product, where a CPU's largest shape is 1e11).
std::vector<std::array<long long, 3>> gemm_shapes(bool quick, bool gpu) {
  using Sizes = std::vector<long long>;
  std::vector<std::array<long long, 3>> shapes;
  const Sizes hidden = gpu ? (quick ? Sizes{256, 1024, 4096} : Sizes{256, 512, 1024, 2048, 4096, 8192})
                           : (quick ? Sizes{64, 256, 1024} : Sizes{64, 128, 256, 512, 1024, 2048});
  const Sizes tokens = gpu ? (quick ? Sizes{2048, 8192} : Sizes{1024, 4096, 16384})
                           : (quick ? Sizes{512, 4096} : Sizes{256, 1024, 4096});
  for (long long h : hidden) {
    for (long long t : tokens) {
      for (long long mult : {1, 4}) shapes.push_back({t, mult * h, h});
    }
  }
  for (long long n : quick ? std::vector<long long>{32, 128} : std::vector<long long>{16, 32, 64, 128}) {
    shapes.push_back({n, n, n});
  }
  return shapes;
}

// Attention's batched products (scores s x s x d, context s x d x s) over
// batch x heads small matrices.
std::vector<std::array<long long, 3>> batched_shapes(bool quick) {
  std::vector<std::array<long long, 3>> shapes;
  // Quick: the CPU plans' range, an octave apart. LibTorch's CPU bmm runs
  // the same FLOPs at 10-50x different rates by shape (bf16 QK^T: 40
  // GFLOP/s at head size 16, 500 at 32 or 64, 9-36 at sequence 512): the
  // planner looks a plan's products up by shape (batched_gemm_shapes), and
  // a shape between the timed ones takes its neighbours' efficiency.
  for (long long seq :
       quick ? std::vector<long long>{64, 128, 256, 512} : std::vector<long long>{64, 128, 256, 512, 1024}) {
    for (long long d : quick ? std::vector<long long>{16, 32, 64} : std::vector<long long>{16, 32, 64, 128}) {
      shapes.push_back({seq, seq, d});
      if (d != seq) shapes.push_back({seq, d, seq});  // else the same shape
    }
  }
  return shapes;
}

// A sample's achieved / peak, as the profile's tables hold it.
double efficiency_of(const GemmSample& s, double peak) { return std::clamp(s.tflops / peak, 1e-6, 1.0); }

// The efficiency table: achieved / peak against GEMM FLOPs (of one matrix
// product), one point per half decade (median of the samples in it),
// increasing in FLOPs.
std::vector<planner::EfficiencyPoint> efficiency_table(const std::vector<GemmSample>& samples, double peak) {
  std::map<int, std::vector<std::pair<double, double>>> bins;  // half-decade -> (flops, eff)
  for (const auto& s : samples) {
    const double flops = 2.0 * s.m * s.n * s.k;
    bins[static_cast<int>(std::floor(2 * std::log10(flops)))].push_back({flops, efficiency_of(s, peak)});
  }
  std::vector<planner::EfficiencyPoint> table;
  for (auto& [bin, pts] : bins) {
    std::sort(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.second < b.second; });
    double log_flops = 0;
    for (const auto& p : pts) log_flops += std::log(p.first) / pts.size();
    table.push_back({std::exp(log_flops), pts[pts.size() / 2].second});
  }
  return table;
}

// A training step runs each weight GEMM three times (forward Y = X W^T,
// backward dX = dY W and dW = dY^T X; Narayanan et al. 2021, eq. 3 counts
// the same 3 x 2mnk), in the layouts autograd picks, and under bf16
// autocast casts the fp32 master weight first. Timing exactly that, rather
// than one NN product, is what makes the table predict the trainer: on a
// 2-core AVX-512 CPU the backward layouts run at 0.3-0.85 of the forward.
constexpr double kTrainingGemmFlops = 3 * 2.0;

double training_gemm_seconds(long long batch, long long m, long long n, long long k, const std::string& dtype,
                             double budget_s) {
  const auto opts = torch::TensorOptions().device(probe_device());
  const bool autocast = dtype == "bf16";
  const torch::ScalarType stored = autocast ? torch::kFloat32 : gemm_dtype(dtype);
  std::vector<int64_t> x_shape = {m, k}, w_shape = {n, k};
  if (batch > 1) {
    x_shape.insert(x_shape.begin(), batch);
    w_shape.insert(w_shape.begin(), batch);
  }
  auto x = torch::randn(x_shape, opts.dtype(stored)).set_requires_grad(true);
  auto w = torch::randn(w_shape, opts.dtype(stored)).set_requires_grad(true);
  std::vector<int64_t> y_shape = {m, n};
  if (batch > 1) y_shape.insert(y_shape.begin(), batch);
  const auto grad = torch::randn(y_shape, opts.dtype(gemm_dtype(dtype)));
  return time_median(
      [&] {
        torch::Tensor y;
        {
          AutocastGuard guard(autocast, probe_device());
          y = batch > 1 ? torch::matmul(x, w.transpose(-2, -1)) : linear_layer(x, w);  // as the trainer's layers
        }
        y.backward(grad.to(y.scalar_type()));
        x.mutable_grad() = torch::Tensor();
        w.mutable_grad() = torch::Tensor();
      },
      budget_s);
}

// Memory-bound training kernels (LayerNorm, GELU, softmax, residual add),
// forward and backward through autograd, in bytes moved per second as the
// planner counts them (each op reads and writes its tensor once, backward
// twice that). Small elementwise kernels rarely reach copy bandwidth.
// A GPU gets tensors of a real model's activations (64M elements, 128 MiB
// in bf16): the CPU's 2M-element tensors left an H200 launch-bound (15 us a
// kernel), at 572 GB/s of its 4233 (not re-measured since: no GPU here).
double elementwise_gb_per_s(torch::ScalarType dtype, bool quick, double budget_s) {
  const bool gpu = probe_on_gpu();
  const long long rows = gpu ? (quick ? 16384 : 65536) : (quick ? 2048 : 4096), cols = gpu ? 1024 : 512;
  const auto opts = torch::TensorOptions().device(probe_device());
  auto x = torch::randn({rows, cols}, opts).to(dtype).set_requires_grad(true);
  auto w = torch::ones({cols}, opts).to(dtype).set_requires_grad(true);
  auto b = torch::zeros({cols}, opts).to(dtype).set_requires_grad(true);
  const double t = time_median(
      [&] {
        auto y = torch::layer_norm(x, {cols}, w, b);
        y = torch::gelu(y) + x;
        y = torch::softmax(y, -1);
        y.sum().backward();
      },
      budget_s);
  // 2 bytes an element whatever the dtype: the planner counts activations
  // in bf16, so an fp32 trainer's slower kernels show as a lower efficiency.
  const double element_bytes = 2;
  const double ops = 4;  // layer_norm, gelu, add, softmax
  return 3 * ops * 2 * element_bytes * static_cast<double>(rows * cols) / t / 1e9;
}

// Unfused attention as the trainer runs it: QK^T, softmax, V, forward and
// backward (3 x the forward's 4 b h s^2 d FLOPs, the full score matrix as the
// planner counts it). A GPU gets 16x the work (b8 h16 s1024): b4 h8 s512
// ran at 9.7 TFLOP/s on an H200, launch-bound (not re-measured since).
struct AttentionShape {
  long long b, h, s, d;
};
AttentionShape attention_shape() {
  return probe_on_gpu() ? AttentionShape{8, 16, 1024, 64} : AttentionShape{4, 8, 512, 64};
}

double attention_tflops(const std::string& dtype, double budget_s) {
  const auto [b, h, s, d] = attention_shape();
  const bool autocast = dtype == "bf16";
  const auto opts = torch::TensorOptions().device(probe_device()).dtype(autocast ? torch::kFloat32 : gemm_dtype(dtype));
  auto q = torch::randn({b, h, s, d}, opts).set_requires_grad(true);
  auto k = torch::randn({b, h, s, d}, opts).set_requires_grad(true);
  auto v = torch::randn({b, h, s, d}, opts).set_requires_grad(true);
  const double t = time_median(
      [&] {
        torch::Tensor out;
        {
          AutocastGuard guard(autocast, probe_device());
          auto scores = torch::matmul(q, k.transpose(-2, -1)).div(8.0);
          out = torch::matmul(torch::softmax(scores, -1), v);
        }
        out.backward(torch::ones_like(out));
        for (auto* t : {&q, &k, &v}) t->mutable_grad() = torch::Tensor();
      },
      budget_s);
  return 3 * 4.0 * b * h * s * s * d / t / 1e12;
}

// A precision's probes under way: what they measured so far.
struct DtypeProbe {
  MeasuredThroughput m;
  std::vector<double> elementwise_gb_per_s;  // at each moment timed
  const std::string& dtype() const { return m.dtype; }
  planner::DtypeThroughput& t() { return m.throughput; }
};

std::string dtype_list(const std::vector<DtypeProbe>& probes) {
  std::string out;
  for (const auto& p : probes) out += (out.empty() ? "" : ", ") + p.dtype();
  return out;
}

// First, while the dtype's kernels have not run in this process.
void probe_first_steps(std::vector<DtypeProbe>& probes, const ThroughputContext& c) {
  for (auto& p : probes) {
    c.say(fmt::format("a training process's first step ({}: one-time work beyond a later step)", p.dtype()));
    p.t().trainer_first_step_s = first_step_extra_seconds(p.dtype(), probe_device());
    c.say(fmt::format("  {:.0f} ms", p.t().trainer_first_step_s * 1e3));
    p.m.sources["trainer_first_step_s"] = fmt::format(
        "measured: the first training step of a 2-layer GPT (hidden 128, 64 tokens, {}) less the median of the next "
        "three, the first thing this process ran in {}",
        p.dtype(), p.dtype());
  }
}

// The memory-bound rates are short timings of small tensors, the profile's
// most volatile numbers on a shared VM (bf16 memory_efficiency 0.064-0.148
// across quick profiles taken an hour apart here; sprout-train's operations
// 1.7x apart in two profiles minutes apart): both are timed at kProbeSweeps
// moments spread over the probes (before the GEMMs, after them, at the end)
// and the median kept, so a slowdown of a few seconds lands in one of them.
// This is one such moment: the elementwise kernels and one sweep through
// sprout-train's operations, every dtype in turn.
void time_memory_bound_moment(std::vector<DtypeProbe>& probes, const ThroughputContext& c, int moment,
                              std::vector<TrainerOperationsByDtype>& trainer_sweeps) {
  c.say(
      fmt::format("memory-bound kernels ({}: LayerNorm, GELU, add, softmax; forward + backward) and sprout-train's "
                  "operations, moment {} of {}",
                  dtype_list(probes), moment, kProbeSweeps));
  std::vector<std::string> dtypes;
  for (auto& p : probes) {
    p.elementwise_gb_per_s.push_back(elementwise_gb_per_s(gemm_dtype(p.dtype()), c.quick, c.budget_s));
    dtypes.push_back(p.dtype());
  }
  trainer_sweeps.push_back(sweep_trainer_operations(dtypes, probe_device(), c.budget_s / 2 / kProbeSweeps));
}

void set_memory_efficiency(DtypeProbe& p, const ThroughputContext& c) {
  const std::vector<double>& e = p.elementwise_gb_per_s;
  const double median = median_of(e);
  c.say(fmt::format("  {}: {:.1f}, {:.1f}, {:.1f} GB/s: median {:.1f}", p.dtype(), e[0], e[1], e[2], median));
  p.t().memory_efficiency = std::clamp(median / c.copy_gb_per_s, 1e-3, 1.0);
  p.m.sources["memory_efficiency"] = fmt::format(
      "measured: training's elementwise kernels move {:.1f} GB/s (2 bytes an element, as the planner "
      "counts) of the copy bandwidth; median of {:.1f}, {:.1f} and {:.1f} GB/s timed before the GEMM sweep, after "
      "it and at the end of the throughput probes",
      median, e[0], e[1], e[2]);
}

// The training GEMM sweep; sets each dtype's peak and efficiency table.
void probe_gemms(std::vector<DtypeProbe>& probes, const ThroughputContext& c) {
  c.say(fmt::format("GEMM throughput ({}, {} threads; forward + backward as in training)", dtype_list(probes),
                    c.threads));
  const auto shapes = gemm_shapes(c.quick, probe_on_gpu());
  const auto seconds = swept_seconds(shapes.size(), probes.size(), c.budget_s / 4, [&](size_t s, size_t d, double b) {
    const auto& [m, n, k] = shapes[s];
    return training_gemm_seconds(1, m, n, k, probes[d].dtype(), b);
  });
  for (size_t d = 0; d < probes.size(); ++d) {
    DtypeProbe& p = probes[d];
    for (size_t s = 0; s < shapes.size(); ++s) {
      const auto& [m, n, k] = shapes[s];
      p.m.gemms.push_back({m, n, k, kTrainingGemmFlops * m * n * k / seconds[d][s] / 1e12});
      c.say(fmt::format("  {} {}x{}x{}: {:.1f} GFLOP/s", p.dtype(), m, n, k, p.m.gemms.back().tflops * 1e3));
    }
    // A CPU's dense peak depends on clocks and vector units that software
    // cannot see: take the best measured GEMM as the peak (efficiency 1
    // there). A GPU keeps its datasheet peak from the base profile.
    if (probe_on_gpu()) {
      p.t().peak_tflops = c.datasheet_peak;
      p.m.sources["peak_tflops"] = "datasheet, as in the base profile " + c.base_source;
    } else {
      for (const auto& g : p.m.gemms) p.t().peak_tflops = std::max(p.t().peak_tflops, g.tflops);
      p.m.sources["peak_tflops"] = fmt::format("measured: best {} GEMM of the sweep, {} threads", p.dtype(), c.threads);
    }
    p.t().gemm_efficiency = efficiency_table(p.m.gemms, p.t().peak_tflops);
    p.m.sources["gemm_efficiency"] = fmt::format(
        "measured: {} linear layers forward + both backward products through autograd{}, {} transformer "
        "shapes, median per half decade of the forward FLOPs",
        p.dtype(), p.dtype() == "bf16" ? " under autocast" : "", p.m.gemms.size());
  }
}

// Attention's batched GEMMs, after probe_gemms (their efficiency is of its
// peak).
void probe_batched_gemms(std::vector<DtypeProbe>& probes, const ThroughputContext& c) {
  constexpr long long kBatch = 64;
  c.say(fmt::format("batched GEMMs of attention ({}, {} matrices; forward + backward)", dtype_list(probes), kBatch));
  const auto shapes = batched_shapes(c.quick);
  const auto seconds = swept_seconds(shapes.size(), probes.size(), c.budget_s / 8, [&](size_t s, size_t d, double b) {
    const auto& [m, n, k] = shapes[s];
    return training_gemm_seconds(kBatch, m, n, k, probes[d].dtype(), b);
  });
  for (size_t d = 0; d < probes.size(); ++d) {
    DtypeProbe& p = probes[d];
    std::vector<GemmSample> batched;
    for (size_t s = 0; s < shapes.size(); ++s) {
      const auto& [m, n, k] = shapes[s];
      batched.push_back({m, n, k, kTrainingGemmFlops * kBatch * m * n * k / seconds[d][s] / 1e12});
      c.say(fmt::format("  {} {} x {}x{}x{}: {:.1f} GFLOP/s", p.dtype(), kBatch, m, n, k, batched.back().tflops * 1e3));
      p.t().batched_gemm_shapes.push_back({static_cast<double>(m), static_cast<double>(n), static_cast<double>(k),
                                           efficiency_of(batched.back(), p.t().peak_tflops)});
    }
    p.t().batched_gemm_efficiency = efficiency_table(batched, p.t().peak_tflops);
    p.m.sources["batched_gemm_efficiency"] = fmt::format(
        "measured: {} batched matmul of {} attention-shaped matrices, forward + both backward products "
        "through autograd, by the FLOPs of one forward matrix",
        p.dtype(), kBatch);
    p.m.sources["batched_gemm_shapes"] = fmt::format(
        "measured: the same {} batched products ({} matrices, forward + both backward products through autograd), "
        "each shape's median of {} sweeps",
        p.dtype(), kBatch, kProbeSweeps);
  }
}

void probe_attention(DtypeProbe& p, const ThroughputContext& c) {
  const AttentionShape a = attention_shape();
  c.say(fmt::format("attention ({}: QK^T, softmax, V; b{} h{} s{} d{}; forward + backward)", p.dtype(), a.b, a.h, a.s,
                    a.d));
  const double attn = attention_tflops(p.dtype(), c.budget_s);
  p.t().flash_attention_efficiency = std::clamp(attn / p.t().peak_tflops, 1e-6, 1.0);
  p.m.sources["flash_attention_efficiency"] =
      fmt::format("measured: unfused attention at {:.1f} GFLOP/s (no fused kernel in this LibTorch)", attn * 1e3);
}

void set_trainer_operations(std::vector<DtypeProbe>& probes, const ThroughputContext& c,
                            const std::vector<TrainerOperationsByDtype>& trainer_sweeps) {
  TrainerOperationsByDtype median = median_over_sweeps(trainer_sweeps);
  for (auto& p : probes) {
    p.t().trainer_ns_per_element = std::move(median[p.dtype()]);
    std::string listed;
    for (const auto& [op, costs] : p.t().trainer_ns_per_element) {
      listed += fmt::format("{}{}", listed.empty() ? "" : ", ", op);
      for (const auto& cost : costs) listed += fmt::format(" {:.2f}", cost.ns);
    }
    c.say(fmt::format("  {} sprout-train operations, ns per element (median of {}): {}", p.dtype(), kProbeSweeps,
                      listed));
    p.m.sources["trainer_ns_per_element"] = fmt::format(
        "measured: sprout-train's own operations in {}, forward + backward through autograd on cold caches, at a "
        "layer of micro-batch 2, 8 and 32 x 128 tokens, hidden 128, 8 heads, FFN 512 (GPU: 1, 4, 16 x 1024 tokens, "
        "hidden 2048, 16 heads, FFN 8192); adamw on a layer's 16 tensors at half, once and twice the width; median of "
        "{} sweeps at moments spread over the profile, the dtypes timed in turn at each size",
        p.dtype(), kProbeSweeps);
  }
}

}  // namespace

std::vector<MeasuredThroughput> probe_throughputs(const std::vector<std::string>& dtypes, const ThroughputContext& c) {
  std::vector<DtypeProbe> probes;
  for (const std::string& dtype : dtypes) probes.push_back({MeasuredThroughput{dtype, {}, {}, {}}, {}});
  probe_first_steps(probes, c);
  // The memory-bound probes allocate their tensors afresh, each size larger
  // than the last: without this, glibc grew the heap during timed runs, and
  // the first touch of its new pages (4096 page faults in one backward) made
  // fp32 SwiGLU or the scores' softmax at the largest size 4x slower in two
  // of seven quick profiles (8.96 and 9.89 ns an element against 1.3-2.6).
  // A training step reuses what its first step mapped. 512 MB covers the
  // CPU probes' sizes; a GPU's tensors are not on this heap.
  if (!probe_on_gpu()) map_heap_once(512LL << 20);
  std::vector<TrainerOperationsByDtype> trainer_sweeps;
  time_memory_bound_moment(probes, c, 1, trainer_sweeps);
  probe_gemms(probes, c);
  probe_batched_gemms(probes, c);
  time_memory_bound_moment(probes, c, 2, trainer_sweeps);
  for (auto& p : probes) probe_attention(p, c);
  time_memory_bound_moment(probes, c, 3, trainer_sweeps);
  static_assert(kProbeSweeps == 3, "one memory-bound moment a sweep");
  set_trainer_operations(probes, c, trainer_sweeps);
  std::vector<MeasuredThroughput> out;
  for (auto& p : probes) {
    set_memory_efficiency(p, c);
    out.push_back(std::move(p.m));
  }
  return out;
}

}  // namespace sprout::backend
