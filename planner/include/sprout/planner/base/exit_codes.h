// SPDX-License-Identifier: GPL-3.0-or-later
// Exit statuses of `sprout` and `sprout-train` (docs/formats.md "Exit codes").
// The cluster exports (Slurm requeue, Kubernetes podFailurePolicy) act on them,
// so they are named once here.
#pragma once

namespace sprout::planner {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitBadInput = 2;
// sprout-train stopped by SIGTERM/SIGUSR1 before the plan was done, after
// every rank wrote the checkpoint: restart it with --resume. 75 is
// EX_TEMPFAIL of sysexits.h ("temporary failure, try again later").
inline constexpr int kExitStoppedBySignal = 75;

}  // namespace sprout::planner
