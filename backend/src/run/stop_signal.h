// SPDX-License-Identifier: GPL-3.0-or-later
// SIGTERM / SIGUSR1 (Slurm preemption, `scancel --signal=USR1`): the trainer
// finishes its step, checkpoints and exits 0. A signal handler can only set
// a flag of static storage, so this is the backend's one piece of process
// state; the training loop polls it between steps.
#pragma once

namespace sprout::backend {

// Blocks the signals in the calling thread and every thread it starts after
// (call it first, from the thread that trains), takes them on a thread of
// its own, installs a flag-setting handler for threads started before
// (idempotent), and clears any earlier request.
void install_stop_signal_handlers();
// True once SIGTERM or SIGUSR1 arrived after install.
bool stop_requested();

}  // namespace sprout::backend
