// SPDX-License-Identifier: GPL-3.0-or-later
// Process settings every LibTorch program of sprout needs on a CPU
// (sprout-train, `sprout profile`): call first thing in main().
#pragma once

namespace sprout::backend {

// Settings that libraries read only when they are loaded, so they are set
// here and the program re-executes itself once (argv unchanged):
// - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP workers spin-wait between
//   parallel regions by default, while OpenBLAS runs GEMMs on its own
//   threads; on 2 cores they fight, and training ran 4-5x slower (measured,
//   docs/backend.md "Speed").
// - GLOG_minloglevel=3: c10d logs its socket errors through glog on stderr,
//   multi-line; sprout reports a failed collective or rendezvous as one line
//   of its own. Set it lower to see c10d's logs.
void ensure_load_time_settings(char** argv);

// A training step frees and re-allocates the same large activation and
// gradient buffers every micro-batch. glibc hands big freed blocks back to the
// kernel and the next micro-batch faults them in again: measured 4.6x the page
// faults of the PyTorch loop and ~10% lower throughput. Keep freed memory.
void keep_freed_memory();

}  // namespace sprout::backend
