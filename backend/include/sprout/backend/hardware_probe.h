// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`: measure this machine with LibTorch and write a hardware
// profile in the normal format. Measured: GEMM throughput over the matrix
// shapes a transformer uses (the efficiency table; bf16 or fp32), memory
// bandwidth, attention kernel time, per-operation dispatch overhead, the
// checkpoint write bandwidth of a directory's disk, idle/busy power where RAPL
// or NVML can be read, and the all-reduce bandwidth/latency between local
// processes when a probe for it is given. Everything else comes from a base
// profile and says so in its source comment.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sprout/planner/model/hardware_profile.h"

namespace sprout::backend {

struct ProbeOptions {
  bool quick = false;                                // under 30 s: fewer shapes, smaller buffers
  std::string dtype = "fp32";                        // GEMM precision: fp32 | bf16 (what the trainer runs)
  std::vector<std::string> other_dtypes;             // also measured, into throughput_by_dtype
  int threads = 0;                                   // 0: all cores
  std::string scratch_dir = ".";                     // where the checkpoint write test writes (and removes) a file
  std::string name;                                  // profile name
  planner::HardwareProfile base;                     // values that cannot be measured here
  std::string base_source;                           // "profiles/hardware/cpu-generic.yaml"
  std::function<void(const std::string&)> progress;  // one line per step
};

struct GemmSample {
  long long m = 0, n = 0, k = 0;
  double tflops = 0;
};

struct ProbeResult {
  planner::HardwareProfile profile;
  std::map<std::string, std::string> sources;  // key -> how it was obtained
  std::vector<GemmSample> gemms;
  double seconds = 0;                 // wall time of the probe
  std::vector<std::string> warnings;  // what makes this profile less trustworthy than usual (one line each)
};

ProbeResult probe_hardware(const ProbeOptions& options);

}  // namespace sprout::backend
