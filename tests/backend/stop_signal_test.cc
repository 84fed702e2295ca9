// SPDX-License-Identifier: GPL-3.0-or-later
// Preemption signals (SIGTERM, SIGUSR1) never interrupt a thread that
// computes: install_stop_signal_handlers() blocks them in the calling thread
// and every thread started after, and a thread of its own takes them
// (docs/backend.md: a signal frame on the training thread corrupted the heap
// in 6 of 48 preemptions).
#include "run/stop_signal.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace sprout::backend {
namespace {

bool blocked_here(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

bool stop_seen_within(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!stop_requested() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return stop_requested();
}

TEST(StopSignal, ComputingThreadsNeverTakeThePreemptionSignals) {
  install_stop_signal_handlers();
  EXPECT_TRUE(blocked_here(SIGTERM));
  EXPECT_TRUE(blocked_here(SIGUSR1));
  bool pool_thread_blocks = false;
  std::thread([&] { pool_thread_blocks = blocked_here(SIGTERM) && blocked_here(SIGUSR1); }).join();
  EXPECT_TRUE(pool_thread_blocks) << "a thread started after install (a LibTorch pool's) could take the signal";

  // Sent to the process, each still stops the run; installing again clears the request.
  for (int signal : {SIGTERM, SIGUSR1}) {
    install_stop_signal_handlers();
    EXPECT_FALSE(stop_requested());
    ASSERT_EQ(kill(getpid(), signal), 0);
    EXPECT_TRUE(stop_seen_within(std::chrono::seconds(5))) << "signal " << signal;
  }
}

}  // namespace
}  // namespace sprout::backend
