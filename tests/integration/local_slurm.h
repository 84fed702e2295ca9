// SPDX-License-Identifier: GPL-3.0-or-later
// A real one-node Slurm cluster for a test suite (scripts/slurm/), started
// once per suite and stopped at its end. Tests skip when this machine cannot
// run one (not root, or slurm-wlm/munge missing).
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace sprout::test {

class LocalSlurm : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  // Runs `command` with SLURM_CONF set for this cluster.
  static std::string env();
  // Waits until the job has left the queue (or `timeout_s` passes); returns its final state.
  static std::string wait_for_job(const std::string& job_id, double timeout_s);
  // Waits until the job is RUNNING.
  static bool wait_until_running(const std::string& job_id, double timeout_s);
  // After a requeue (Restarts above `restarts_before`): starts the job again
  // now instead of after Slurm's requeue delay; true once it runs (or
  // already finished) again.
  static bool start_requeued_job(const std::string& job_id, double timeout_s, int restarts_before = 0);
  // Restarts=N of one `scontrol show job -o` line (-1 when absent).
  static int restarts_in(const std::string& show);

 protected:
  void SetUp() override;

  static std::string dir_;
  static std::string skip_reason_;
};

}  // namespace sprout::test
