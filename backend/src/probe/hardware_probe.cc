// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/hardware_probe.h"

#include <ATen/Parallel.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "device/autocast.h"
#include "device/energy_meter.h"
#include "device/stopwatch.h"
#include "kernels/linear.h"
#include "probe/probe_medians.h"
#include "probe/trainer_operations_probe.h"
#include "probe/warmup_probe.h"

namespace sprout::backend {
namespace {

// The probe runs where training would: the GPU when there is one.
// (Asked once: every timed repetition waits for the device.)
bool on_gpu() {
  static const bool gpu = torch::cuda::is_available();
  return gpu;
}
torch::Device probe_device() { return on_gpu() ? torch::kCUDA : torch::kCPU; }

// Median of repeated timings of `run`, after one warm-up, spending about
// `budget_s` in all (at least 3 repetitions).
double time_median(const std::function<void()>& run, double budget_s) {
  return median_seconds([&] { return device_seconds(probe_device(), run); }, budget_s);
}

// Seconds of each of `shapes` shapes (time_shape(i, budget_s)), the median
// over kProbeSweeps sweeps through all of them (probe_medians.h). The larger
// shapes, timed last, were skewed by such bursts in one sweep (a quick
// profile 40% slow for them).
template <typename F>
std::vector<double> swept_seconds(size_t shapes, double budget_s, F&& time_shape) {
  std::vector<std::vector<double>> samples(shapes);
  for (int sweep = 0; sweep < kProbeSweeps; ++sweep) {
    for (size_t i = 0; i < shapes; ++i) samples[i].push_back(time_shape(i, budget_s / kProbeSweeps));
  }
  std::vector<double> out;
  for (auto& s : samples) out.push_back(median_of(std::move(s)));
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

// What one operation of a training step costs beyond its arithmetic:
// dispatch, autograd bookkeeping and the backward node, measured on a chain
// of tiny ops run forward and backward (each op becomes two kernels).
double dispatch_overhead_us(double budget_s) {
  const auto opts = torch::TensorOptions().device(probe_device());
  auto x = torch::ones({8}, opts.requires_grad(true));
  auto w = torch::ones({8}, opts.requires_grad(true));
  constexpr int kOps = 64;
  const double t = time_median(
      [&] {
        auto y = x;
        for (int i = 0; i < kOps / 2; ++i) y = (y * w) + x;
        y.sum().backward();
      },
      budget_s);
  return t / (2 * kOps) * 1e6;
}

double copy_gb_per_s(long long bytes, double budget_s) {
  auto src = torch::ones({bytes / 4}, probe_device()), dst = torch::empty({bytes / 4}, probe_device());
  const double t = time_median([&] { dst.copy_(src); }, budget_s);
  return 2.0 * static_cast<double>(bytes) / t / 1e9;  // read + write
}

// Memory-bound training kernels (LayerNorm, GELU, softmax, residual add),
// forward and backward through autograd, in bytes moved per second as the
// planner counts them (each op reads and writes its tensor once, backward
// twice that). Small elementwise kernels rarely reach copy bandwidth.
// A GPU gets tensors of a real model's activations (64M elements, 128 MiB
// in bf16): the CPU's 2M-element tensors left an H200 launch-bound (15 us a
// kernel), at 572 GB/s of its 4233 (not re-measured since: no GPU here).
double elementwise_gb_per_s(torch::ScalarType dtype, bool quick, double budget_s) {
  const bool gpu = on_gpu();
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
AttentionShape attention_shape() { return on_gpu() ? AttentionShape{8, 16, 1024, 64} : AttentionShape{4, 8, 512, 64}; }

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

double write_gb_per_s(const std::string& dir, long long bytes) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const std::string path = (fs::path(dir) / (".sprout-profile-write-test." + std::to_string(::getpid()))).string();
  std::vector<char> block(8 << 20, 'x');
  const auto t0 = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(path + ": cannot write the checkpoint-bandwidth test file");
  for (long long done = 0; done < bytes; done += static_cast<long long>(block.size())) {
    if (::write(fd, block.data(), block.size()) < 0) {
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error(path + ": write failed");
    }
  }
  ::fsync(fd);  // what a checkpoint waits for
  ::close(fd);
  const double t = seconds_since(t0);
  ::unlink(path.c_str());
  return static_cast<double>(bytes) / t / 1e9;
}

// What one precision's throughput probes share.
struct ThroughputContext {
  bool quick = false;
  double budget_s = 0;
  int threads = 1;
  double copy_gb_per_s = 0;   // the memory-bound kernels' reference
  double datasheet_peak = 0;  // a GPU's peak (a CPU's is measured)
  std::string base_source;
  std::function<void(const std::string&)> say;
};

// The values of planner::DtypeThroughput in `dtype`: the training GEMM sweep,
// attention's batched GEMMs, the memory-bound kernels and unfused attention.
// `sources` gets how each was obtained under `prefix` + key; `gemms` the
// sweep's samples.
planner::DtypeThroughput probe_throughput(const std::string& dtype, const ThroughputContext& c,
                                          const std::string& prefix, std::map<std::string, std::string>& sources,
                                          std::vector<GemmSample>& gemms) {
  planner::DtypeThroughput t;
  // First, while this dtype's kernels have not run in this process.
  c.say(fmt::format("a training process's first step ({}: one-time work beyond a later step)", dtype));
  t.trainer_first_step_s = first_step_extra_seconds(dtype, probe_device());
  c.say(fmt::format("  {:.0f} ms", t.trainer_first_step_s * 1e3));
  sources[prefix + "trainer_first_step_s"] = fmt::format(
      "measured: the first training step of a 2-layer GPT (hidden 128, 64 tokens, {}) less the median of the next "
      "three, the first thing this process ran in {}",
      dtype, dtype);
  // The memory-bound kernels' rate is one short timing of one shape, the
  // profile's most volatile number on a shared VM (bf16 memory_efficiency
  // 0.064-0.148 across quick profiles taken an hour apart here): time it at
  // three moments of this dtype's probes (before the GEMMs, after them,
  // after sprout-train's operations) and keep the median, so a slowdown
  // of a few seconds lands in one of them.
  std::vector<double> elementwise;
  auto time_elementwise = [&] { elementwise.push_back(elementwise_gb_per_s(gemm_dtype(dtype), c.quick, c.budget_s)); };
  c.say(fmt::format("memory-bound kernels ({}: LayerNorm, GELU, add, softmax; forward + backward), first of three",
                    dtype));
  time_elementwise();
  c.say(fmt::format("GEMM throughput ({}, {} threads; forward + backward as in training)", dtype, c.threads));
  const auto shapes = gemm_shapes(c.quick, on_gpu());
  const std::vector<double> gemm_s = swept_seconds(shapes.size(), c.budget_s / 4, [&](size_t i, double b) {
    const auto& [m, n, k] = shapes[i];
    return training_gemm_seconds(1, m, n, k, dtype, b);
  });
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& [m, n, k] = shapes[i];
    gemms.push_back({m, n, k, kTrainingGemmFlops * m * n * k / gemm_s[i] / 1e12});
    c.say(fmt::format("  {}x{}x{}: {:.1f} GFLOP/s", m, n, k, gemms.back().tflops * 1e3));
  }
  c.say(fmt::format("batched GEMMs of attention ({}, 64 matrices; forward + backward)", dtype));
  constexpr long long kBatch = 64;
  const auto bshapes = batched_shapes(c.quick);
  const std::vector<double> batched_s = swept_seconds(bshapes.size(), c.budget_s / 8, [&](size_t i, double b) {
    const auto& [m, n, k] = bshapes[i];
    return training_gemm_seconds(kBatch, m, n, k, dtype, b);
  });
  std::vector<GemmSample> batched;
  for (size_t i = 0; i < bshapes.size(); ++i) {
    const auto& [m, n, k] = bshapes[i];
    batched.push_back({m, n, k, kTrainingGemmFlops * kBatch * m * n * k / batched_s[i] / 1e12});
    c.say(fmt::format("  64 x {}x{}x{}: {:.1f} GFLOP/s", m, n, k, batched.back().tflops * 1e3));
  }
  // A CPU's dense peak depends on clocks and vector units that software
  // cannot see: take the best measured GEMM as the peak (efficiency 1 there).
  // A GPU keeps its datasheet peak from the base profile.
  if (on_gpu()) {
    t.peak_tflops = c.datasheet_peak;
    sources[prefix + "peak_tflops"] = "datasheet, as in the base profile " + c.base_source;
  } else {
    for (const auto& g : gemms) t.peak_tflops = std::max(t.peak_tflops, g.tflops);
    sources[prefix + "peak_tflops"] = fmt::format("measured: best {} GEMM of the sweep, {} threads", dtype, c.threads);
  }
  t.gemm_efficiency = efficiency_table(gemms, t.peak_tflops);
  t.batched_gemm_efficiency = efficiency_table(batched, t.peak_tflops);
  sources[prefix + "batched_gemm_efficiency"] = fmt::format(
      "measured: {} batched matmul of 64 attention-shaped matrices, forward + both backward products "
      "through autograd, by the FLOPs of one forward matrix",
      dtype);
  for (const auto& b : batched) {
    t.batched_gemm_shapes.push_back({static_cast<double>(b.m), static_cast<double>(b.n), static_cast<double>(b.k),
                                     efficiency_of(b, t.peak_tflops)});
  }
  sources[prefix + "batched_gemm_shapes"] = fmt::format(
      "measured: the same {} batched products (64 matrices, forward + both backward products through autograd), "
      "each shape's median of {} sweeps",
      dtype, kProbeSweeps);
  sources[prefix + "gemm_efficiency"] = fmt::format(
      "measured: {} linear layers forward + both backward products through autograd{}, {} transformer "
      "shapes, median per half decade of the forward FLOPs",
      dtype, dtype == "bf16" ? " under autocast" : "", gemms.size());

  c.say(fmt::format("memory-bound kernels ({}), second moment", dtype));
  time_elementwise();

  const AttentionShape a = attention_shape();
  c.say(
      fmt::format("attention ({}: QK^T, softmax, V; b{} h{} s{} d{}; forward + backward)", dtype, a.b, a.h, a.s, a.d));
  const double attn = attention_tflops(dtype, c.budget_s);
  t.flash_attention_efficiency = std::clamp(attn / t.peak_tflops, 1e-6, 1.0);
  sources[prefix + "flash_attention_efficiency"] =
      fmt::format("measured: unfused attention at {:.1f} GFLOP/s (no fused kernel in this LibTorch)", attn * 1e3);

  c.say(fmt::format("sprout-train's memory-bound operations ({}; forward + backward)", dtype));
  t.trainer_ns_per_element = measure_trainer_operations(dtype, probe_device(), c.budget_s / 2);
  std::string listed;
  for (const auto& [op, costs] : t.trainer_ns_per_element) {
    listed += fmt::format("{}{}", listed.empty() ? "" : ", ", op);
    for (const auto& c : costs) listed += fmt::format(" {:.2f}", c.ns);
  }
  c.say("  ns per element: " + listed);
  c.say(fmt::format("memory-bound kernels ({}), third moment", dtype));
  time_elementwise();
  const double elementwise_median = median_of(elementwise);
  c.say(fmt::format("  {:.1f}, {:.1f}, {:.1f} GB/s: median {:.1f}", elementwise[0], elementwise[1], elementwise[2],
                    elementwise_median));
  t.memory_efficiency = std::clamp(elementwise_median / c.copy_gb_per_s, 1e-3, 1.0);
  sources[prefix + "memory_efficiency"] = fmt::format(
      "measured: training's elementwise kernels move {:.1f} GB/s (2 bytes an element, as the planner "
      "counts) of the copy bandwidth; median of {:.1f}, {:.1f} and {:.1f} GB/s timed before the GEMM sweep, after "
      "it and after sprout-train's operations",
      elementwise_median, elementwise[0], elementwise[1], elementwise[2]);
  sources[prefix + "trainer_ns_per_element"] = fmt::format(
      "measured: sprout-train's own operations in {}, forward + backward through autograd on cold caches, at a layer "
      "of micro-batch 2, 8 and 32 x 128 tokens, hidden 128, 8 heads, FFN 512 (GPU: 1, 4, 16 x 1024 tokens, hidden "
      "2048, 16 heads, FFN 8192); adamw on a layer's 16 tensors at half, once and twice the width; median of 3 "
      "sweeps",
      dtype);
  return t;
}

}  // namespace

ProbeResult probe_hardware(const ProbeOptions& o) {
  const auto start = Clock::now();
  auto say = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  // LibTorch starts with one intra-op thread here; train as sprout-train does.
  at::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  ThroughputContext context;
  context.quick = o.quick;
  context.budget_s = o.quick ? 0.15 : 0.6;
  context.threads = at::get_num_threads();
  context.datasheet_peak = o.base.peak_tflops;
  context.base_source = o.base_source;
  context.say = say;
  ProbeResult r;
  planner::HardwareProfile& hw = r.profile;
  hw = o.base;
  hw.name = o.name;
  hw.throughput_by_dtype.clear();
  for (const char* key : {"hbm_gb", "intra_node_gb_per_s", "intra_node_latency_us", "inter_node_gb_per_s",
                          "inter_node_latency_us", "tdp_w", "typical_power_fraction", "idle_power_w", "node_overhead_w",
                          "embodied_kg_co2e_per_gpu", "lifetime_years", "price_usd_per_gpu_hour", "restart_overhead_s",
                          "mtbf_gpu_hours", "memory_reserved_gb", "gpus_per_node"}) {
    r.sources[key] = "as in the base profile " + o.base_source + " (not measured)";
  }

  // Energy meter first: it measures idle power before anything runs.
  auto meter = make_energy_meter(on_gpu(), 0, o.base.tdp_w * o.base.typical_power_fraction);
  const std::string power_source = meter->source();
  const bool metered = power_source == "rapl" || power_source == "nvml";
  if (metered) {
    say("power: idle for 1 s (" + power_source + ")");
    const double j0 = meter->joules();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    hw.idle_power_w = meter->joules() - j0;
    r.sources["idle_power_w"] = "measured with " + power_source + " at rest";
  }

  say("memory bandwidth (tensor copy)");
  // A GPU copies 256 MiB in ~0.1 ms, too short to time well: 1-2 GiB there.
  const long long copy_bytes = (o.quick ? (64LL << 20) : (256LL << 20)) * (on_gpu() ? 8 : 1);
  hw.hbm_gb_per_s = copy_gb_per_s(copy_bytes, context.budget_s);
  context.copy_gb_per_s = hw.hbm_gb_per_s;
  r.sources["hbm_gb_per_s"] = "measured: tensor copy, read + write bytes / time";

  if (!on_gpu()) {
    say("fresh memory (first touch of newly mapped pages)");
    hw.fresh_memory_gb_per_s = fresh_memory_gb_per_s(copy_bytes);
    r.sources["fresh_memory_gb_per_s"] = "measured: write of newly mapped anonymous memory, median of 3";
  }

  const double joules_before = meter->joules();
  const auto busy_start = Clock::now();
  hw.set_throughput(probe_throughput(o.dtype, context, "", r.sources, r.gemms));
  hw.dtype = o.dtype;
  const double busy_w = (meter->joules() - joules_before) / std::max(1e-9, seconds_since(busy_start));
  if (metered) {
    hw.typical_power_fraction = std::clamp(busy_w / std::max(1.0, hw.tdp_w), 0.01, 1.5);
    r.sources["typical_power_fraction"] =
        fmt::format("measured with {}: {:.1f} W during the {} throughput probes", power_source, busy_w, o.dtype);
  }
  for (const std::string& dtype : o.other_dtypes) {
    std::vector<GemmSample> gemms;
    hw.throughput_by_dtype[dtype] =
        probe_throughput(dtype, context, "throughput_by_dtype." + dtype + ".", r.sources, gemms);
  }

  say("dispatch overhead (1-element adds)");
  hw.kernel_overhead_us = dispatch_overhead_us(context.budget_s);
  r.sources["kernel_overhead_us"] = "measured: tiny ops forward + backward through autograd, per kernel";

  say("checkpoint write bandwidth of " + o.scratch_dir);
  hw.checkpoint_write_gb_per_s = write_gb_per_s(o.scratch_dir, o.quick ? (64LL << 20) : (512LL << 20));
  r.sources["checkpoint_write_gb_per_s"] = "measured: sequential write + fsync in " + o.scratch_dir;

  r.seconds = seconds_since(start);
  std::string dtypes = o.dtype;
  for (const auto& d : o.other_dtypes) dtypes += ", " + d;
  hw.measured =
      fmt::format("measured by `sprout profile{}` in {:.0f} s ({} GEMMs {}, {} threads; power: {})",
                  o.quick ? " --quick" : "", r.seconds, dtypes, r.gemms.size(), context.threads, power_source);
  return r;
}

}  // namespace sprout::backend
