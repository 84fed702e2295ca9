// SPDX-License-Identifier: GPL-3.0-or-later
#include "local_slurm.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "test_paths.h"

namespace sprout::test {

std::string LocalSlurm::dir_;
std::string LocalSlurm::skip_reason_;

void LocalSlurm::SetUpTestSuite() {
  if (::geteuid() != 0) {
    skip_reason_ = "needs root to run slurmctld/slurmd/munged";
    return;
  }
  for (const char* tool : {"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged"}) {
    if (!std::filesystem::exists(tool)) {
      skip_reason_ = std::string(tool) + " missing (scripts/install-deps.sh installs slurm-wlm, munge)";
      return;
    }
  }
  dir_ = make_temp_dir("slurm");
  std::filesystem::permissions(dir_, std::filesystem::perms::all, std::filesystem::perm_options::add);
  auto r = run_command(source_path("scripts/slurm/start-local-cluster.sh") + " " + dir_);
  if (r.exit_code != 0) skip_reason_ = "local cluster did not start: " + r.err;
}

void LocalSlurm::TearDownTestSuite() {
  if (!dir_.empty()) run_command(source_path("scripts/slurm/stop-local-cluster.sh") + " " + dir_);
}

void LocalSlurm::SetUp() {
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
}

std::string LocalSlurm::env() { return "SLURM_CONF=" + dir_ + "/slurm.conf "; }

// JobState= of `scontrol show job` (finished jobs stay listed for MinJobAge).
static std::string job_state(const std::string& id) {
  auto r = run_command(LocalSlurm::env() + "scontrol show job -o " + id);
  auto pos = r.out.find("JobState=");
  if (pos == std::string::npos) return "UNKNOWN";
  pos += 9;
  return r.out.substr(pos, r.out.find(' ', pos) - pos);
}

std::string LocalSlurm::wait_for_job(const std::string& id, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    state = job_state(id);
    if (state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMEOUT" ||
        state == "NODE_FAIL" || state == "OUT_OF_MEMORY") {
      return state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  run_command(env() + "scancel " + id);
  return "TIMED_OUT_WAITING(" + state + ")";
}

bool LocalSlurm::wait_until_running(const std::string& id, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (job_state(id) == "RUNNING") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

int LocalSlurm::restarts_in(const std::string& show) {
  const auto at = show.find("Restarts=");
  return at == std::string::npos ? -1 : std::atoi(show.c_str() + at + 9);
}

bool LocalSlurm::start_requeued_job(const std::string& id, double timeout_s, int restarts_before) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::optional<std::chrono::steady_clock::time_point> pending_since;
  while (std::chrono::steady_clock::now() < deadline) {
    auto show = run_command(env() + "scontrol show job -o " + id);
    // State and restart count from one snapshot: read apart, a requeue
    // landing between the two reads pairs the old run's RUNNING with the new
    // count, and the job then waits out Slurm's requeue delay unstarted.
    const bool requeued = restarts_in(show.out) > restarts_before;
    if (requeued) {
      if (show.out.find("JobState=RUNNING") != std::string::npos ||
          show.out.find("JobState=COMPLETED") != std::string::npos) {
        return true;
      }
      if (show.out.find("JobState=PENDING") != std::string::npos) {
        if (!pending_since) pending_since = std::chrono::steady_clock::now();
        // slurmd refuses a credential issued in the same second as the
        // revocation of the job's previous run ("Job credential revoked",
        // the job then FAILS): let 2 s pass before starting it again.
        if (std::chrono::steady_clock::now() - *pending_since > std::chrono::seconds(2)) {
          run_command(env() + "scontrol update jobid=" + id + " StartTime=now");
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  return false;
}

}  // namespace sprout::test
