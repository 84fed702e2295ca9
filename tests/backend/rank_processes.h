// SPDX-License-Identifier: GPL-3.0-or-later
// Starts the ranks of a data-parallel sprout-train run as separate processes
// with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), as
// the end-to-end tests need them: signal one, wait for all with a deadline
// (a test must never hang), read each rank's stderr.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "local_ranks.h"
#include "sprout/planner/base/file_io.h"

namespace sprout::backend::test {

class RankProcesses {
 public:
  // `command` is the sprout-train command line (shell words); rank r's
  // stderr goes to `log_prefix`.r.
  RankProcesses(int world_size, const std::string& command, const std::string& log_prefix) : log_prefix_(log_prefix) {
    const int port = free_tcp_port();
    for (int r = 0; r < world_size; ++r) {
      const std::string line = "exec env RANK=" + std::to_string(r) + " WORLD_SIZE=" + std::to_string(world_size) +
                               " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " " + command + " 2>" +
                               log_prefix + "." + std::to_string(r);
      const pid_t pid = fork();
      if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
      pids_.push_back(pid);
    }
    exit_codes_.assign(pids_.size(), -1);
  }
  ~RankProcesses() {
    for (size_t r = 0; r < pids_.size(); ++r) {
      if (exit_codes_[r] == -1) {
        kill(pids_[r], SIGKILL);
        waitpid(pids_[r], nullptr, 0);
      }
    }
  }

  pid_t pid(int rank) const { return pids_[static_cast<size_t>(rank)]; }
  void signal(int rank, int sig) const { kill(pid(rank), sig); }

  // Waits for `rank` up to `timeout_s`; returns its exit code (128 + signal
  // when killed), or -1 when it is still running (it is then left alone).
  int wait(int rank, double timeout_s) {
    const size_t r = static_cast<size_t>(rank);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (exit_codes_[r] == -1) {
      int status = 0;
      if (waitpid(pids_[r], &status, WNOHANG) == pids_[r]) {
        exit_codes_[r] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_codes_[r];
  }

  // Exit codes of all ranks; any rank still running after `timeout_s` is
  // killed and reported as -1.
  std::vector<int> wait_all(double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    std::vector<int> out;
    for (size_t r = 0; r < pids_.size(); ++r) {
      const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      out.push_back(wait(static_cast<int>(r), std::max(0.0, left)));
    }
    return out;
  }

  std::string log(int rank) const { return planner::read_file(log_prefix_ + "." + std::to_string(rank)); }

 private:
  std::string log_prefix_;
  std::vector<pid_t> pids_;
  std::vector<int> exit_codes_;
};

}  // namespace sprout::backend::test
