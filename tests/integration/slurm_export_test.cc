// SPDX-License-Identifier: GPL-3.0-or-later
// The exported sbatch script on a real (local) Slurm cluster: one task per
// rank, rendezvous variables, and the preemption path USR1 -> every rank
// checkpoints -> requeue -> restart with --resume.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "local_slurm.h"
#include "sprout/planner/atomic_file.h"
#include "test_paths.h"

namespace sprout::test {
namespace {

namespace fs = std::filesystem;

class SlurmExport : public LocalSlurm {};

// Stands in for sprout-train: logs its rank and arguments, and on USR1 writes a
// complete checkpoint and exits 0, as the real trainer does.
const char* kFakeTrainer = R"(#!/bin/bash
out=""; prev=""
for a in "$@"; do [ "$prev" = "--out" ] && out=$a; prev=$a; done
echo "start rank=$SLURM_PROCID/$SLURM_NTASKS master=$MASTER_ADDR args=$*" >> "$out/ranks.log"
trap 'echo "checkpoint rank=$SLURM_PROCID" >> "$out/ranks.log"; mkdir -p "$out/checkpoints/step-000001"; touch "$out/checkpoints/step-000001/DONE"; exit 0' USR1
if [[ " $* " == *" --resume "* ]]; then echo "resumed rank=$SLURM_PROCID" >> "$out/ranks.log"; exit 0; fi
for i in $(seq 1 900); do sleep 0.1; done
exit 3
)";

TEST_F(SlurmExport, PreemptionCheckpointsRequeuesAndResumes) {
  const std::string dir = make_temp_dir("slurm-export");
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);
  const std::string trainer = dir + "/fake-train";
  std::ofstream(trainer) << kFakeTrainer;
  fs::permissions(trainer, fs::perms::all, fs::perm_options::add);
  auto ex = run_command(binary_path("cli/sprout") + " export " + source_path("plans/tiny-cpu.yaml") +
                        " --target slurm --out " + dir + "/job --gpus 2 --nodes 1");
  ASSERT_EQ(ex.exit_code, 0) << ex.err;

  auto sub = run_command("cd " + dir + " && " + env() + "SPROUT_TRAIN=" + trainer +
                         " sbatch --parsable --export=ALL -o " + dir + "/slurm-%j.out " + dir + "/job/sprout.sbatch");
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::string job = sub.out.substr(0, sub.out.find_first_of(";\n"));
  ASSERT_TRUE(wait_until_running(job, 30)) << "job " << job << " never ran";
  // Both ranks up before we preempt.
  const std::string log = dir + "/job/run/ranks.log";
  for (int i = 0; i < 100; ++i) {
    if (fs::exists(log)) {
      const std::string text = planner::read_file(log);
      if (std::count(text.begin(), text.end(), '\n') >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // What Slurm does 120 s before the time limit or on preemption (--signal=B:USR1@120).
  auto sig = run_command(env() + "scancel --signal=USR1 --batch " + job);
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  // The requeued job waits for a begin time; let it start now. The update
  // only sticks once the requeue has gone through, so repeat it until the
  // job runs again.
  for (int i = 0; i < 200; ++i) {
    auto show = run_command(env() + "scontrol show job -o " + job);
    if (show.out.find("Restarts=1") != std::string::npos) {
      if (show.out.find("JobState=PENDING") != std::string::npos) {
        run_command(env() + "scontrol update jobid=" + job + " StartTime=now");
      } else if (show.out.find("JobState=RUNNING") != std::string::npos ||
                 show.out.find("JobState=COMPLETED") != std::string::npos) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  EXPECT_EQ(wait_for_job(job, 60), "COMPLETED") << planner::read_file(dir + "/slurm-" + job + ".out");

  const std::string ranks = planner::read_file(log);
  for (const char* line : {"start rank=0/2 master=", "start rank=1/2 master=", "checkpoint rank=0",
                           "checkpoint rank=1", "resumed rank=0", "resumed rank=1"}) {
    EXPECT_NE(ranks.find(line), std::string::npos) << line << "\n" << ranks;
  }
  EXPECT_NE(ranks.find("--out " + dir + "/job/run --resume"), std::string::npos) << ranks;
  EXPECT_NE(planner::read_file(dir + "/slurm-" + job + ".out").find("requeueing job " + job), std::string::npos);
}

}  // namespace
}  // namespace sprout::test
