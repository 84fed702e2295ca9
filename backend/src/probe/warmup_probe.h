// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s measurement of what a training process pays once, before
// its steps run at their steady speed (docs/formulas.md "A stage's first
// step"): the first step's one-time work (kernels generated on first use,
// lazily initialised libraries) and the rate at which the operating system
// maps memory the process touches for the first time.
#pragma once

#include <torch/types.h>

#include <string>

namespace sprout::backend {

// Seconds a process's first training step of a small GPT (forward,
// backward, clipping and AdamW) in `dtype` takes beyond its second, on
// `device`. Its tensors are small (a few MB), so the memory they map for
// the first time costs little beside the one-time work measured. Call
// before anything else in the process runs that dtype's kernels.
double first_step_extra_seconds(const std::string& dtype, torch::Device device);

// GB per second at which fresh anonymous memory is mapped on first touch
// (median of three `bytes`-byte regions, each mapped, written, unmapped).
double fresh_memory_gb_per_s(long long bytes);

// Maps `bytes` of heap memory once (in blocks below glibc's mmap threshold,
// touched, then freed: the process keeps freed memory, process_setup.h), so
// that a timed operation later reuses mapped pages as a training step does
// after its first, instead of paying the first touch of new ones.
void map_heap_once(long long bytes);

}  // namespace sprout::backend
