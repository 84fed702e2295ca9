// SPDX-License-Identifier: GPL-3.0-or-later
// Process settings every LibTorch program of sprout needs on a CPU
// (sprout-train, `sprout profile`): call first thing in main().
#pragma once

namespace sprout::backend {

// LibTorch's OpenMP workers spin-wait between parallel regions by default,
// while OpenBLAS runs GEMMs on its own threads: on 2 cores they fight, and
// training ran 4-5x slower (measured, docs/backend.md "Speed"). libgomp reads
// OMP_WAIT_POLICY only when it is loaded, so this sets it and re-executes the
// program once (argv unchanged).
void ensure_passive_openmp_wait(char** argv);

// A training step frees and re-allocates the same large activation and
// gradient buffers every micro-batch. glibc hands big freed blocks back to the
// kernel and the next micro-batch faults them in again: measured 4.6x the page
// faults of the PyTorch loop and ~10% lower throughput. Keep freed memory.
void keep_freed_memory();

}  // namespace sprout::backend
