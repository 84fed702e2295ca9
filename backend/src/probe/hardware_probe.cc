// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/hardware_probe.h"

#include <ATen/Parallel.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <torch/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "device/energy_meter.h"
#include "device/stopwatch.h"
#include "probe/cpu_placement.h"
#include "probe/probe_medians.h"
#include "probe/throughput_probe.h"
#include "probe/warmup_probe.h"

namespace sprout::backend {
namespace {

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

// dispatch_overhead_us with this thread on each of up to 8 of its CPUs in
// turn, each after a settling run there (the first timings after a move were
// up to 15x slow: the OpenMP worker shares the CPU until the scheduler moves it).
std::vector<CpuTiming> dispatch_overhead_by_cpu(double budget_s) {
  std::vector<CpuTiming> timings;
  const std::vector<int> cpus = allowed_cpus(8);
  if (cpus.size() < 2) return timings;
  for (const int cpu : cpus) {
    run_on_cpu(cpu, [&] {
      dispatch_overhead_us(budget_s / 4);
      timings.push_back({cpu, dispatch_overhead_us(budget_s)});
    });
  }
  return timings;
}

double copy_gb_per_s(long long bytes, double budget_s) {
  auto src = torch::ones({bytes / 4}, probe_device()), dst = torch::empty({bytes / 4}, probe_device());
  const double t = time_median([&] { dst.copy_(src); }, budget_s);
  return 2.0 * static_cast<double>(bytes) / t / 1e9;  // read + write
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
  auto meter = make_energy_meter(probe_on_gpu(), 0, o.base.tdp_w * o.base.typical_power_fraction);
  const std::string power_source = meter->source();
  const bool metered = power_source == "rapl" || power_source == "nvml";
  if (metered) {
    say("power: idle for 1 s (" + power_source + ")");
    const double j0 = meter->joules();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    hw.idle_power_w = meter->joules() - j0;
    r.sources["idle_power_w"] = "measured with " + power_source + " at rest";
  }

  // Which CPU a thread runs on matters on a shared host whose vCPUs are at
  // times unequal (docs/compare.md "Ninth run"): the dispatch probe with the
  // thread on each CPU in turn, at the profile's start and at its end.
  std::vector<std::pair<std::string, std::vector<CpuTiming>>> cpu_checks;
  auto check_cpus = [&](const std::string& when) {
    if (probe_on_gpu()) return;
    std::vector<CpuTiming> by_cpu = dispatch_overhead_by_cpu(context.budget_s / 2);
    if (!by_cpu.empty()) cpu_checks.emplace_back(when, std::move(by_cpu));
  };
  check_cpus("at the start");

  say("memory bandwidth (tensor copy)");
  // A GPU copies 256 MiB in ~0.1 ms, too short to time well: 1-2 GiB there.
  const long long copy_bytes = (o.quick ? (64LL << 20) : (256LL << 20)) * (probe_on_gpu() ? 8 : 1);
  hw.hbm_gb_per_s = copy_gb_per_s(copy_bytes, context.budget_s);
  context.copy_gb_per_s = hw.hbm_gb_per_s;
  r.sources["hbm_gb_per_s"] = "measured: tensor copy, read + write bytes / time";

  if (!probe_on_gpu()) {
    say("fresh memory (first touch of newly mapped pages)");
    hw.fresh_memory_gb_per_s = fresh_memory_gb_per_s(copy_bytes);
    r.sources["fresh_memory_gb_per_s"] = "measured: write of newly mapped anonymous memory, median of 3";
  }

  std::vector<std::string> dtypes = {o.dtype};
  dtypes.insert(dtypes.end(), o.other_dtypes.begin(), o.other_dtypes.end());
  const double joules_before = meter->joules();
  const auto busy_start = Clock::now();
  std::vector<MeasuredThroughput> measured = probe_throughputs(dtypes, context);
  const double busy_w = (meter->joules() - joules_before) / std::max(1e-9, seconds_since(busy_start));
  for (MeasuredThroughput& m : measured) {
    const std::string prefix = m.dtype == o.dtype ? "" : "throughput_by_dtype." + m.dtype + ".";
    for (const auto& [key, source] : m.sources) r.sources[prefix + key] = source;
    if (m.dtype == o.dtype) {
      hw.set_throughput(m.throughput);
      r.gemms = std::move(m.gemms);
    } else {
      hw.throughput_by_dtype[m.dtype] = std::move(m.throughput);
    }
  }
  hw.dtype = o.dtype;
  std::string dtype_list = o.dtype;
  for (const auto& d : o.other_dtypes) dtype_list += ", " + d;
  if (metered) {
    hw.typical_power_fraction = std::clamp(busy_w / std::max(1.0, hw.tdp_w), 0.01, 1.5);
    r.sources["typical_power_fraction"] =
        fmt::format("measured with {}: {:.1f} W during the {} throughput probes", power_source, busy_w, dtype_list);
  }

  say("dispatch overhead (1-element adds)");
  hw.kernel_overhead_us = dispatch_overhead_us(context.budget_s);
  r.sources["kernel_overhead_us"] = "measured: tiny ops forward + backward through autograd, per kernel";
  check_cpus("at the end");
  if (!cpu_checks.empty()) {
    std::string timings;
    for (const auto& [when, by_cpu] : cpu_checks) {
      timings += (timings.empty() ? "" : "; ") + when + " " + describe_cpu_timings(by_cpu);
      const std::string warning = uneven_cpus_warning(by_cpu);
      if (!warning.empty()) r.warnings.push_back(when + " of this profile, " + warning);
    }
    r.sources["kernel_overhead_us"] += "; with the thread on each CPU: " + timings;
  }

  say("checkpoint write bandwidth of " + o.scratch_dir);
  hw.checkpoint_write_gb_per_s = write_gb_per_s(o.scratch_dir, o.quick ? (64LL << 20) : (512LL << 20));
  r.sources["checkpoint_write_gb_per_s"] = "measured: sequential write + fsync in " + o.scratch_dir;

  r.seconds = seconds_since(start);
  hw.measured =
      fmt::format("measured by `sprout profile{}` in {:.0f} s ({} GEMMs {}, {} threads; power: {})",
                  o.quick ? " --quick" : "", r.seconds, dtype_list, r.gemms.size(), context.threads, power_source);
  return r;
}

}  // namespace sprout::backend
