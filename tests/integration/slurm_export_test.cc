// SPDX-License-Identifier: GPL-3.0-or-later
// The exported sbatch script on a real (local) Slurm cluster: one task per
// rank, rendezvous variables, and the preemption path USR1 -> every rank
// checkpoints -> requeue -> restart with --resume; first with a stand-in
// trainer, then with real sprout-train ranks training a short growth plan.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "local_slurm.h"
#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout::test {
namespace {

namespace fs = std::filesystem;

class SlurmExport : public LocalSlurm {
 protected:
  static void preempt_stand_in_trainer(const std::string& name, bool to_batch_script);
};

// Stands in for sprout-train: logs its rank and arguments, and on USR1 writes a
// complete checkpoint and exits 75 (stopped by a signal), as the real trainer does.
const char* kFakeTrainer = R"(#!/bin/bash
out=""; prev=""
for a in "$@"; do [ "$prev" = "--out" ] && out=$a; prev=$a; done
echo "start rank=$SLURM_PROCID/$SLURM_NTASKS master=$MASTER_ADDR args=$*" >> "$out/ranks.log"
trap 'echo "checkpoint rank=$SLURM_PROCID" >> "$out/ranks.log"; mkdir -p "$out/checkpoints/step-000001"; touch "$out/checkpoints/step-000001/DONE"; exit 75' USR1
if [[ " $* " == *" --resume "* ]]; then echo "resumed rank=$SLURM_PROCID" >> "$out/ranks.log"; exit 0; fi
for i in $(seq 1 900); do sleep 0.1; done
exit 3
)";

// Preempts the exported script's job running the stand-in trainer: with
// `to_batch_script`, as Slurm does before the time limit (--signal=B:USR1@120:
// the script forwards USR1 to srun), else USR1 straight to the tasks (the
// script sees srun return 75). Either way the job requeues and resumes.
void SlurmExport::preempt_stand_in_trainer(const std::string& name, bool to_batch_script) {
  const std::string dir = make_temp_dir(name);
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);
  const std::string trainer = dir + "/fake-train";
  std::ofstream(trainer) << kFakeTrainer;
  fs::permissions(trainer, fs::perms::all, fs::perm_options::add);
  auto ex = run_command(sprout_cmd() + " export " + source_path("plans/tiny-cpu.yaml") + " --target slurm --out " +
                        dir + "/job --gpus 2 --nodes 1");
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
  auto sig = run_command(env() + "scancel --signal=USR1 " + (to_batch_script ? "--batch " : "") + job);
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  // The requeued job waits for a begin time; let it start now.
  EXPECT_TRUE(start_requeued_job(job, 60));
  EXPECT_EQ(wait_for_job(job, 60), "COMPLETED") << planner::read_file(dir + "/slurm-" + job + ".out");

  const std::string ranks = planner::read_file(log);
  for (const char* line : {"start rank=0/2 master=", "start rank=1/2 master=", "checkpoint rank=0", "checkpoint rank=1",
                           "resumed rank=0", "resumed rank=1"}) {
    EXPECT_NE(ranks.find(line), std::string::npos) << line << "\n" << ranks;
  }
  EXPECT_NE(ranks.find("--out " + dir + "/job/run --resume"), std::string::npos) << ranks;
  EXPECT_NE(planner::read_file(dir + "/slurm-" + job + ".out").find("requeueing job " + job), std::string::npos);
}

TEST_F(SlurmExport, PreemptionCheckpointsRequeuesAndResumes) { preempt_stand_in_trainer("slurm-export", true); }

// The tasks signalled, not the script: the trainer's exit 75 requeues the job.
TEST_F(SlurmExport, ATaskStoppedBySignalExits75AndTheScriptRequeues) {
  preempt_stand_in_trainer("slurm-export-step", false);
}

// A short growth plan for the real runs: 2 ranks x 1 thread, ~120 steps of a
// few tens of milliseconds (1x32 -> width 1x64 -> depth 2x64).
std::string short_plan(const std::string& data_dir) {
  return "name: slurm short growth\nhardware: cpu-generic\ngpus: 2\nregion: us-average\npower_model: typical\n"
         "model: {vocab: 256, seq_len: 64, activation: gelu}\n"
         "training: {seed: 11, data: " +
         data_dir +
         ", eval_every_steps: 20, eval_batches: 2, "
         "checkpoint_every_steps: 10, keep_checkpoints: 2, log_every_steps: 1, threads: 1, dtype: fp32, "
         "collective_timeout_s: 60}\n"
         "stages:\n"
         "  - {name: small, layers: 1, hidden: 32, heads: 2, tokens: 40960, global_batch_tokens: 1024, lr: 3e-3, "
         "warmup_fraction: 0.1, parallel: {tp: 1, pp: 1, dp: 2, micro_batch: 4}}\n"
         "  - {name: wide, grow: {width: true, grow_steps: 10}, layers: 1, hidden: 64, heads: 4, tokens: 40960, "
         "global_batch_tokens: 1024, lr: 2e-3, warmup_fraction: 0.1, parallel: {tp: 1, pp: 1, dp: 2, micro_batch: 4}}\n"
         "  - {name: deep, grow: {depth: true, grow_steps: 10}, layers: 2, hidden: 64, heads: 4, tokens: 40960, "
         "global_batch_tokens: 1024, lr: 1.5e-3, warmup_fraction: 0.1, parallel: {tp: 1, pp: 1, dp: 2, micro_batch: "
         "4}}\n";
}

// The same growth, shorter (40 steps), on a TP x PP x DP layout of `gpus`
// ranks in every stage (gpus 1: one process).
std::string short_layout_plan(const std::string& data_dir, int gpus, const std::string& narrow,
                              const std::string& deep) {
  std::string y = short_plan(data_dir);
  for (size_t at; (at = y.find("tokens: 40960")) != std::string::npos;) y.replace(at, 13, "tokens: 13312");
  y.replace(y.find("gpus: 2"), 7, "gpus: " + std::to_string(gpus));
  const std::string dp2 = "{tp: 1, pp: 1, dp: 2, micro_batch: 4}";
  for (int stage = 0; stage < 3; ++stage) y.replace(y.find(dp2), dp2.size(), stage < 2 ? narrow : deep);
  return y;
}

std::vector<nlohmann::json> telemetry_of(const std::string& run) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run + "/telemetry.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const std::exception&) {
      // a line being written
    }
  }
  return out;
}

// "step loss" of every training step, the loss in full precision.
std::vector<std::string> step_losses(const std::string& run) {
  std::vector<std::string> out;
  for (const auto& j : telemetry_of(run)) {
    if (!j.contains("event")) out.push_back(std::to_string(j["step"].get<long long>()) + " " + j["loss"].dump());
  }
  return out;
}

// Submits `args` (sbatch options and script) with SPROUT_TRAIN=`trainer` and
// no MASTER_ADDR/MASTER_PORT of ours; returns the job id.
std::string submit(const std::string& dir, const std::string& trainer, const std::string& args) {
  auto sub = run_command("cd " + dir + " && " + LocalSlurm::env() + "SPROUT_TRAIN=" + trainer +
                         " env -u MASTER_ADDR -u MASTER_PORT sbatch --parsable --export=ALL -o " + dir +
                         "/slurm-%j.out " + args);
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  return sub.out.substr(0, sub.out.find_first_of(";\n"));
}

// The exported script of a growth plan, run for real: 2 sprout-train ranks
// meet through Slurm's variables, are preempted (USR1: every rank
// checkpoints, the job requeues and resumes) and end with exactly the losses
// of a run that was never interrupted.
TEST_F(SlurmExport, RealRanksTrainSurvivePreemptionAndMatchAnUninterruptedRun) {
  const std::string trainer_ = sprout_train_cmd();
  if (!fs::exists(trainer_)) GTEST_SKIP() << trainer_ << " not built (SPROUT_BACKEND off)";
  const std::string dir = make_temp_dir("slurm-train");
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);
  auto prep = run_command(trainer_ + " prepare --out " + dir + "/data --max-bytes 400000");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  planner::write_file_atomically(dir + "/plan.yaml", short_plan(dir + "/data"));

  // Uninterrupted reference: plain srun, no MASTER_ADDR/MASTER_PORT, so the
  // trainer finds rank 0 itself (first host of SLURM_JOB_NODELIST through
  // scontrol, port 29500 + job id % 1000).
  const std::string ref_job = submit(dir, trainer_,
                                     "-n 2 --wrap 'srun --kill-on-bad-exit=1 \"$SPROUT_TRAIN\" --plan " + dir +
                                         "/plan.yaml --out " + dir + "/reference --quiet'");
  ASSERT_EQ(wait_for_job(ref_job, 180), "COMPLETED") << planner::read_file(dir + "/slurm-" + ref_job + ".out");
  const auto want = step_losses(dir + "/reference");
  ASSERT_EQ(want.size(), 120u);
  const auto ref_summary = nlohmann::json::parse(planner::read_file(dir + "/reference/summary.json"));
  EXPECT_EQ(ref_summary["distributed"]["rendezvous"], "slurm");

  auto ex = run_command(sprout_cmd() + " export " + dir + "/plan.yaml --target slurm --out " + dir + "/job --nodes 1");
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  const std::string job = submit(dir, trainer_, dir + "/job/sprout.sbatch");
  ASSERT_TRUE(wait_until_running(job, 30)) << "job " << job << " never ran";
  const std::string run = dir + "/job/run";
  for (int i = 0; i < 1200 && step_losses(run).size() < 15; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(step_losses(run).size(), 15u) << planner::read_file(dir + "/slurm-" + job + ".out");
  // Preemption, as Slurm does it before the time limit (--signal=B:USR1@120).
  auto sig = run_command(env() + "scancel --signal=USR1 --batch " + job);
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  EXPECT_TRUE(start_requeued_job(job, 60));
  const std::string log = dir + "/slurm-" + job + ".out";
  ASSERT_EQ(wait_for_job(job, 180), "COMPLETED") << planner::read_file(log);

  EXPECT_NE(planner::read_file(log).find("requeueing job " + job), std::string::npos) << planner::read_file(log);
  int resumes = 0;
  long long stopped_at = 0;
  for (const auto& j : telemetry_of(run)) {
    if (j.value("event", "") == "resume") {
      ++resumes;
      stopped_at = j["step"];
    }
  }
  EXPECT_EQ(resumes, 1);
  EXPECT_GE(stopped_at, 15);
  EXPECT_LT(stopped_at, 120);
  EXPECT_EQ(step_losses(run), want);  // every step, the final one included, bit for bit
  const auto summary = nlohmann::json::parse(planner::read_file(run + "/summary.json"));
  EXPECT_TRUE(summary["complete"].get<bool>());
  EXPECT_EQ(summary["rank_count"], 2);
  EXPECT_EQ(summary["distributed"]["backend"], "gloo");
  EXPECT_EQ(summary["distributed"]["rendezvous"], "slurm");
  EXPECT_EQ(summary["total"]["final_train_loss"], ref_summary["total"]["final_train_loss"]);
  EXPECT_EQ(summary["total"]["final_val_loss"], ref_summary["total"]["final_val_loss"]);
}

// Tensor and pipeline parallelism through Slurm (issue 10): the export of a
// plan whose stages run TP2 x DP2, TP2 x DP2 and TP2 x PP2 starts 4 tasks on
// this one node (the local cluster declares at least 4 CPUs, so on the 2-core
// machine they share cores), they find each other through Slurm's variables
// and train the losses of one process.
TEST_F(SlurmExport, FourTasksOfATensorAndPipelineParallelPlanMatchOneProcess) {
  const std::string trainer_ = sprout_train_cmd();
  if (!fs::exists(trainer_)) GTEST_SKIP() << trainer_ << " not built (SPROUT_BACKEND off)";
  const std::string dir = make_temp_dir("slurm-tp-pp");
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);
  auto prep = run_command(trainer_ + " prepare --out " + dir + "/data --max-bytes 400000");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  const std::string one = "{tp: 1, pp: 1, dp: 1, micro_batch: 4}";
  planner::write_file_atomically(dir + "/one.yaml", short_layout_plan(dir + "/data", 1, one, one));
  planner::write_file_atomically(dir + "/plan.yaml",
                                 short_layout_plan(dir + "/data", 4, "{tp: 2, pp: 1, dp: 2, micro_batch: 4}",
                                                   "{tp: 2, pp: 2, dp: 1, micro_batch: 4}"));
  auto ref = run_command("env -u RANK -u SLURM_PROCID " + trainer_ + " --plan " + dir + "/one.yaml --out " + dir +
                         "/one --quiet");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;

  auto ex = run_command(sprout_cmd() + " export " + dir + "/plan.yaml --target slurm --out " + dir + "/job --nodes 1");
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_NE(planner::read_file(dir + "/job/sprout.sbatch").find("--ntasks=4"), std::string::npos);
  const std::string job = submit(dir, trainer_, dir + "/job/sprout.sbatch");
  ASSERT_EQ(wait_for_job(job, 240), "COMPLETED") << planner::read_file(dir + "/slurm-" + job + ".out");

  const std::string run = dir + "/job/run";
  const auto summary = nlohmann::json::parse(planner::read_file(run + "/summary.json"));
  EXPECT_TRUE(summary["complete"].get<bool>());
  EXPECT_EQ(summary["rank_count"], 4);
  EXPECT_EQ(summary["distributed"]["rendezvous"], "slurm");
  std::vector<std::pair<long long, double>> want, got;
  for (const auto& [from, into] : {std::pair{dir + "/one", &want}, {run, &got}}) {
    for (const auto& j : telemetry_of(from)) {
      if (!j.contains("event")) into->emplace_back(j["step"].get<long long>(), j["loss"].get<double>());
    }
  }
  ASSERT_EQ(want.size(), 39u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_NEAR(got[i].second, want[i].second, 1e-5 * want[i].second) << "step " << want[i].first;
  }
}

// Restarts=N of `scontrol show job` (how often the job was requeued).
int restarts_of(const std::string& job) {
  return LocalSlurm::restarts_in(run_command(LocalSlurm::env() + "scontrol show job -o " + job).out);
}

// How far the run's current start got: the number of `resume` events and
// the newest step trained since the last one (records before it may be
// dropped again, and signals before the ranks are up are not preemptions).
std::pair<int, long long> progress_of(const std::string& run) {
  int resumes = 0;
  long long step = 0;
  for (const auto& j : telemetry_of(run)) {
    if (j.value("event", "") == "resume") {
      ++resumes;
      step = 0;
    } else if (!j.contains("event")) {
      step = std::max(step, j.value("step", 0LL));
    }
  }
  return {resumes, step};
}

// The weights of the newest checkpoint, every file but state.json (wall time
// and energy differ between runs) and DONE, by name.
std::map<std::string, std::string> final_weights(const std::string& run) {
  std::map<std::string, std::string> out;
  std::string newest;
  for (const auto& e : fs::directory_iterator(run + "/checkpoints")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name > newest) newest = name;
  }
  for (const auto& e : fs::directory_iterator(run + "/checkpoints/" + newest)) {
    const std::string name = e.path().filename().string();
    if (name != "state.json" && name != "DONE") out[name] = planner::read_file(e.path().string());
  }
  return out;
}

// Soak (docs/reliability.md "Soak"): the exported script of a 4-rank TP x PP
// growth plan is interrupted at 5 seeded random steps, each time either
// preempted (USR1 to the script: checkpoint, exit 75, requeue) or killed
// (SIGKILL to every task: the last periodic checkpoint is all there is; the
// job fails and is requeued by hand, as an operator or a node-failure policy
// would), and ends with the losses and final weights of an uninterrupted run,
// bit for bit.
TEST_F(SlurmExport, SoakFourTaskGrowthRunKilledOrPreemptedFiveTimesEndsBitwiseEqual) {
  const std::string trainer_ = sprout_train_cmd();
  if (!fs::exists(trainer_)) GTEST_SKIP() << trainer_ << " not built (SPROUT_BACKEND off)";
  const std::string dir = make_temp_dir("slurm-soak");
  fs::permissions(dir, fs::perms::all, fs::perm_options::add);
  auto prep = run_command(trainer_ + " prepare --out " + dir + "/data --max-bytes 400000");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  std::string plan = short_layout_plan(dir + "/data", 4, "{tp: 2, pp: 1, dp: 2, micro_batch: 4}",
                                       "{tp: 2, pp: 2, dp: 1, micro_batch: 4}");
  plan.replace(plan.find("checkpoint_every_steps: 10"), 26, "checkpoint_every_steps: 4");
  // 39 steps per stage (117 in all), interruptions at steps 5-90: a signal
  // that lands tens of steps late (a loaded machine) still interrupts the run
  // before its end, and both growths (steps 39, 78) can be crossed.
  for (size_t at; (at = plan.find("tokens: 13312")) != std::string::npos;) plan.replace(at, 13, "tokens: 39936");
  planner::write_file_atomically(dir + "/plan.yaml", plan);
  for (const char* job_dir : {"reference", "soak"}) {
    auto ex = run_command(sprout_cmd() + " export " + dir + "/plan.yaml --target slurm --out " + dir + "/" + job_dir +
                          " --nodes 1");
    ASSERT_EQ(ex.exit_code, 0) << ex.err;
  }
  const std::string ref_job = submit(dir, trainer_, dir + "/reference/sprout.sbatch");
  ASSERT_EQ(wait_for_job(ref_job, 300), "COMPLETED") << planner::read_file(dir + "/slurm-" + ref_job + ".out");
  const auto want = step_losses(dir + "/reference/run");
  ASSERT_EQ(want.size(), 117u);
  const auto want_weights = final_weights(dir + "/reference/run");

  std::mt19937 rng(20261205);
  std::vector<long long> moments;
  while (moments.size() < 5) {
    // From step 5 on a checkpoint (every 4) exists, so every restart resumes.
    const long long step = std::uniform_int_distribution<long long>(5, 90)(rng);
    if (std::find(moments.begin(), moments.end(), step) == moments.end()) moments.push_back(step);
  }
  std::sort(moments.begin(), moments.end());
  const std::string job = submit(dir, trainer_, dir + "/soak/sprout.sbatch");
  const std::string run = dir + "/soak/run";
  const std::string log = dir + "/slurm-" + job + ".out";
  std::string done;
  for (size_t i = 0; i < moments.size(); ++i) {
    const bool preempt = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    auto started = [&] {
      const auto [resumes, step] = progress_of(run);
      return resumes == static_cast<int>(i) && step >= moments[i];
    };
    for (int t = 0; t < 3000 && !started(); ++t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(started()) << "interruption " << i << done << "\n" << planner::read_file(log);
    const int restarts = restarts_of(job);
    if (preempt) {
      ASSERT_EQ(run_command(env() + "scancel --signal=USR1 --batch " + job).exit_code, 0);
    } else {
      // SIGKILL to the job step's tasks only (a signal to the job would
      // cancel it): srun fails, so does the script, and the job with it.
      ASSERT_EQ(run_command(env() + "scancel --signal=KILL " + job + ".0").exit_code, 0);
      for (int t = 0; t < 600; ++t) {
        const std::string state = run_command(env() + "scontrol show job -o " + job).out;
        if (state.find("JobState=FAILED") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ASSERT_EQ(run_command(env() + "scontrol requeue " + job).exit_code, 0);
    }
    done += std::string(preempt ? " preempt@" : " kill@") + std::to_string(progress_of(run).second);
    // Wait for this requeue, then start it.
    const bool requeued = start_requeued_job(job, 90, restarts);
    ASSERT_TRUE(requeued) << "interruption " << i << done << "\n" << planner::read_file(log);
  }
  ASSERT_EQ(wait_for_job(job, 600), "COMPLETED") << done << "\n" << planner::read_file(log);
  std::cout << "[ soak     ] interrupted:" << done << "\n";
  EXPECT_EQ(step_losses(run), want) << done;  // every step, bit for bit
  EXPECT_EQ(final_weights(run), want_weights) << done;
  EXPECT_EQ(restarts_of(job), 5);
}

}  // namespace
}  // namespace sprout::test
