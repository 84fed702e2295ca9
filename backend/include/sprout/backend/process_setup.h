// SPDX-License-Identifier: GPL-3.0-or-later
// Process settings every LibTorch program of sprout needs on a CPU
// (sprout-train, `sprout profile`): call first thing in main().
#pragma once

#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

// Settings for libraries that read them when they are loaded:
// - OMP_WAIT_POLICY=PASSIVE when other ranks of the run share this node
//   (the launcher's variables, rendezvous.h): their OpenMP workers would
//   spin-wait between parallel regions on cores another rank needs. libgomp
//   has no call to change it once loaded, so the program re-executes itself
//   once (argv unchanged) with the variable set. A process alone on its node
//   keeps libgomp's default (spin a while, then sleep; less spinning when
//   oversubscribed): waking sleeping workers for every small kernel cost
//   10-27% of a step on the CPU matrix's plans (docs/backend.md "Speed").
// - glog's minimum level 3 (fatal only): c10d logs its socket errors through
//   glog on stderr, multi-line; sprout reports a failed collective or
//   rendezvous as one line of its own. Set in the running process (no
//   re-execution: that loaded LibTorch twice, ~0.5 s of every start); set
//   GLOG_minloglevel lower to see c10d's logs.
void ensure_load_time_settings(char** argv);

// Whether the launcher's variables in `env` put more than one rank of the
// run on this node (false for one process, or when they are malformed: the
// trainer reports those itself).
bool shares_node_with_other_ranks(const EnvironmentLookup& env);

// A training step frees and re-allocates the same large activation and
// gradient buffers every micro-batch. glibc hands big freed blocks back to the
// kernel and the next micro-batch faults them in again: measured 4.6x the page
// faults of the PyTorch loop and ~10% lower throughput. Keep freed memory.
void keep_freed_memory();

}  // namespace sprout::backend
