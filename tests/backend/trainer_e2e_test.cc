// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train end to end on tiny shapes (seconds): growth keeps the loss,
// exact resume across a growth boundary (bitwise on CPU), SIGTERM
// checkpoints and exits 75, and bad input exits 2 without touching a run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/version.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;

using test::checkpoint_name;
using test::TinyGrowthPlan;

// 3 stages: 1x32 (2 heads) -> width 1x64 (4 heads) -> depth 2x64; 8 steps each.
std::string plan_yaml(double first_lr = 3e-3, int first_hidden = 32, int first_heads = 2, double token_scale = 1) {
  TinyGrowthPlan p;
  p.first_lr = first_lr;
  p.first_hidden = first_hidden;
  p.first_heads = first_heads;
  p.token_scale = token_scale;
  return test::tiny_growth_plan_yaml(p);
}

class TrainerE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("e2e");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    planner::write_file_atomically(dir_ + "/plan.yaml", plan_yaml());
  }

  static std::string train(const std::string& run, const std::string& extra = "", int expect = 0,
                           const std::string& plan = "") {
    auto r = run_command(sprout::test::sprout_train_cmd() + " --plan " + (plan.empty() ? dir_ + "/plan.yaml" : plan) +
                         " --data " + dir_ + "/data --out " + run + " --threads 1 --quiet " + extra);
    EXPECT_EQ(r.exit_code, expect) << r.err;
    return r.err;
  }

  static std::vector<nlohmann::json> telemetry(const std::string& run) { return test::read_telemetry(run); }
  static std::vector<std::string> losses(const std::string& run) { return test::exact_step_losses(run); }

  static std::string tree_listing(const std::string& root) {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      out += e.path().string();
      if (e.is_regular_file())
        out +=
            " " + std::to_string(fs::file_size(e.path())) + " " + planner::read_file(e.path().string()).substr(0, 64);
      out += "\n";
    }
    return out;
  }

  static void preempt_and_resume(int signal, const std::string& name);

  static inline std::string dir_;
};

TEST_F(TrainerE2E, GrowthKeepsTheLossAndTheRunIsRecorded) {
  const std::string run = dir_ + "/straight";
  train(run);
  const auto records = telemetry(run);
  int grows = 0, masked_steps = 0;
  long long last_masked_step = 0;
  for (const auto& j : records) {
    for (const char* key : {"time", "step", "stage", "rank_count", "tokens", "energy_j", "energy_source"}) {
      ASSERT_TRUE(j.contains(key)) << key << " in " << j.dump();
    }
    if (j.value("event", "") == "grow") {
      ++grows;
      // At mask 0 the grown model computes the old function: same val loss.
      EXPECT_NEAR(j["val_loss_after"].get<double>(), j["val_loss_before"].get<double>(),
                  1e-5 * j["val_loss_before"].get<double>());
    }
    if (!j.contains("event")) {
      for (const char* key : {"loss", "lr", "tokens_per_s", "tflops_per_gpu"}) ASSERT_TRUE(j.contains(key)) << key;
      EXPECT_GT(j["tflops_per_gpu"].get<double>(), 0);
      if (j.contains("mask")) {
        ++masked_steps;
        last_masked_step = j["step"];
        EXPECT_LT(j["mask"].get<double>(), 1.0);
      }
    }
  }
  EXPECT_EQ(grows, 2);
  // Each ramp is 4 steps; the mask is logged after the step that advanced it
  // (so 3 logged values < 1 per ramp), then it is gone.
  EXPECT_EQ(masked_steps, 6);
  EXPECT_EQ(last_masked_step, 19);
  EXPECT_EQ(records.front()["energy_source"], "model");  // no NVML or RAPL on the CI machine
  // What produced the run: in the first record only, and in summary.json.
  ASSERT_TRUE(records.front().contains("provenance")) << records.front().dump();
  for (size_t i = 1; i < records.size(); ++i) EXPECT_FALSE(records[i].contains("provenance")) << i;

  const auto summary = nlohmann::json::parse(planner::read_file(run + "/summary.json"));
  EXPECT_TRUE(summary["complete"].get<bool>());
  for (const auto& provenance : {records.front()["provenance"], summary["provenance"]}) {
    EXPECT_EQ(provenance["sprout_version"], std::string(planner::sprout_version()));
    EXPECT_EQ(provenance["sprout_commit"], std::string(planner::sprout_commit()));
    EXPECT_EQ(provenance["libtorch_version"], TORCH_VERSION);
    ASSERT_EQ(provenance["devices"].size(), 1u);  // the CPU's model name
    EXPECT_FALSE(provenance["devices"][0].get<std::string>().empty());
    EXPECT_EQ(provenance["rank_count"], 1);
  }
  ASSERT_EQ(summary["stages"].size(), 3u);
  for (const auto& s : summary["stages"]) {
    EXPECT_EQ(s["steps"], 8);
    EXPECT_EQ(s["tokens"], 4096);
    EXPECT_GT(s["wall_seconds"].get<double>(), 0);
    EXPECT_GT(s["energy_kwh"].get<double>(), 0);
    EXPECT_TRUE(s["final_val_loss"].is_number());
  }
  // Learns something: the last validation loss is well below the first
  // training loss (ln 256 = 5.55 at initialisation).
  EXPECT_LT(summary["total"]["final_val_loss"].get<double>(), 0.8 * records[0].value("loss", 5.55));
  EXPECT_EQ(planner::read_file(run + "/plan.yaml"), planner::read_file(dir_ + "/plan.yaml"));
  // keep_checkpoints: 2, the last one is the final step.
  std::vector<std::string> ckpts;
  for (const auto& e : fs::directory_iterator(run + "/checkpoints")) ckpts.push_back(e.path().filename().string());
  std::sort(ckpts.begin(), ckpts.end());
  EXPECT_EQ(ckpts, (std::vector<std::string>{"step-000000021", "step-000000024"}));
}

TEST_F(TrainerE2E, ResumeIsBitwiseExactAcrossGrowthBoundaries) {
  const std::string straight = dir_ + "/exact-straight";
  train(straight);
  const auto want = losses(straight);
  ASSERT_EQ(want.size(), 24u);
  // Stop at a stage boundary (before the growth), inside a mask ramp, and
  // right after the last growth; resume each time.
  const std::string split = dir_ + "/exact-split";
  train(split, "--stop-after-steps 8");
  train(split, "--resume --stop-after-steps 10");
  train(split, "--resume --stop-after-steps 17");
  train(split, "--resume");
  EXPECT_EQ(losses(split), want);
  int resumes = 0;
  for (const auto& j : telemetry(split)) resumes += j.value("event", "") == "resume";
  EXPECT_EQ(resumes, 3);

  // The same with bf16 autocast (what plans/tiny-cpu.yaml uses).
  train(dir_ + "/exact-bf16", "--dtype bf16");
  train(dir_ + "/exact-bf16-split", "--dtype bf16 --stop-after-steps 10");
  train(dir_ + "/exact-bf16-split", "--dtype bf16 --resume");
  EXPECT_EQ(losses(dir_ + "/exact-bf16-split"), losses(dir_ + "/exact-bf16"));
  EXPECT_NE(losses(dir_ + "/exact-bf16"), want);  // bf16 really ran
}

// The CUDA path end to end (skipped without a GPU): the same plan on the GPU
// follows the CPU's losses through both growths (fp32; cuBLAS and the CPU
// sum in other orders, so not bitwise), and a resume on the GPU continues
// the GPU run.
TEST_F(TrainerE2E, OnCudaTheLossesFollowTheCpuAndResumeContinues) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (or a CPU-only libtorch)";
  const std::string cpu = dir_ + "/cuda-reference-cpu", gpu = dir_ + "/cuda", split = dir_ + "/cuda-split";
  train(cpu);
  train(gpu, "--device cuda");
  const auto cpu_records = telemetry(cpu), gpu_records = telemetry(gpu);
  std::vector<double> cpu_loss, gpu_loss;
  for (const auto& j : cpu_records)
    if (!j.contains("event")) cpu_loss.push_back(j["loss"].get<double>());
  for (const auto& j : gpu_records)
    if (!j.contains("event")) gpu_loss.push_back(j["loss"].get<double>());
  ASSERT_EQ(cpu_loss.size(), 24u);
  ASSERT_EQ(gpu_loss.size(), cpu_loss.size());
  for (size_t i = 0; i < cpu_loss.size(); ++i)
    EXPECT_NEAR(gpu_loss[i], cpu_loss[i], 1e-4 * cpu_loss[i]) << "step " << i + 1;
  EXPECT_EQ(gpu_records.front()["energy_source"], "nvml");
  train(split, "--device cuda --stop-after-steps 10");
  train(split, "--device cuda --resume");
  std::vector<double> resumed;
  for (const auto& j : telemetry(split))
    if (!j.contains("event")) resumed.push_back(j["loss"].get<double>());
  ASSERT_EQ(resumed.size(), gpu_loss.size());
  for (size_t i = 0; i < resumed.size(); ++i)
    EXPECT_NEAR(resumed[i], gpu_loss[i], 1e-5 * gpu_loss[i]) << "step " << i + 1;
}

// Starts a long run, sends `signal` after a few steps, and checks that it
// checkpointed and exited 75 (stopped by a signal, not finished), then that
// --resume continues from there.
void TrainerE2E::preempt_and_resume(int signal, const std::string& name) {
  const std::string plan = dir_ + "/long.yaml";
  planner::write_file_atomically(plan, plan_yaml(3e-3, 32, 2, 40));  // 320 steps per stage
  const std::string run = dir_ + "/" + name;
  const std::string cmd = sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " +
                          run + " --threads 1 --quiet 2>" + dir_ + "/" + name + ".err";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for a few logged steps, then preempt.
  for (int i = 0; i < 3000 && losses(run).size() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(losses(run).size(), 3u);
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of checkpointing";
  EXPECT_EQ(WEXITSTATUS(status), 75);  // docs/formats.md "Exit codes"
  const auto before = losses(run);
  ASSERT_LT(before.size(), 960u);  // stopped early
  const long long stopped_at = std::stoll(before.back());
  EXPECT_TRUE(fs::exists(run + "/checkpoints/" + checkpoint_name(stopped_at) + "/DONE"));

  train(run, "--resume --stop-after-steps " + std::to_string(stopped_at + 2), 0, plan);
  const auto after = losses(run);
  ASSERT_EQ(after.size(), before.size() + 2);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));
  EXPECT_EQ(std::stoll(after.back()), stopped_at + 2);
}

TEST_F(TrainerE2E, SigtermCheckpointsExits75AndResumeContinues) { preempt_and_resume(SIGTERM, "sigterm"); }

// Slurm's --signal=B:USR1@120 (issue #6's export) sends SIGUSR1.
TEST_F(TrainerE2E, Sigusr1CheckpointsExits75AndResumeContinues) { preempt_and_resume(SIGUSR1, "sigusr1"); }

TEST_F(TrainerE2E, ACorruptNewestCheckpointFallsBackToThePreviousOne) {
  const std::string run = dir_ + "/corrupt";
  train(run, "--stop-after-steps 7");  // checkpoints at 6 and 7 (keep 2)
  const std::string newest = run + "/checkpoints/step-000000007/tensors.bin";
  ASSERT_TRUE(fs::exists(newest));
  fs::resize_file(newest, fs::file_size(newest) / 2);
  const std::string err = train(run, "--resume --stop-after-steps 9");
  EXPECT_NE(err.find("skipping checkpoint step-000000007"), std::string::npos) << err;
  const auto l = losses(run);
  ASSERT_EQ(l.size(), 9u);  // steps 7.. re-run from step 6, no duplicates
  EXPECT_EQ(std::stoll(l.back()), 9);

  // One flipped byte in state.json of the newest (step 9), then in the one
  // before (step 6, via its tensors.bin): both skipped, nothing left: exit 2.
  auto flip = [](const std::string& path) {
    std::string bytes = planner::read_file(path);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    planner::write_file_synced(path, bytes);
  };
  flip(run + "/checkpoints/step-000000009/state.json");
  flip(run + "/checkpoints/step-000000006/tensors.bin");
  const std::string before = planner::read_file(run + "/telemetry.jsonl");
  auto none = run_command(sprout::test::sprout_train_cmd() + " --plan " + dir_ + "/plan.yaml --data " + dir_ +
                          "/data --out " + run + " --threads 1 --quiet --resume");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("skipping checkpoint step-000000009: state.json fails its CRC-32"), std::string::npos)
      << none.err;
  EXPECT_NE(none.err.find("skipping checkpoint step-000000006: tensors.bin fails its CRC-32"), std::string::npos)
      << none.err;
  EXPECT_NE(none.err.find("no complete, intact checkpoint to resume from"), std::string::npos) << none.err;
  EXPECT_EQ(planner::read_file(run + "/telemetry.jsonl"), before);
}

TEST_F(TrainerE2E, BadInputExitsTwoWithOneClearLineAndWritesNothing) {
  auto expect_bad = [&](const std::string& args, const std::string& needle) {
    auto r = run_command(sprout::test::sprout_train_cmd() + " " + args + " --threads 1 --quiet");
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  const std::string data = " --data " + dir_ + "/data";
  // A stage that shrinks and one whose head size would shrink.
  const std::string shrink = dir_ + "/shrink.yaml";
  std::string y = plan_yaml();
  y.replace(y.find("layers: 2, hidden: 64"), 21, "layers: 2, hidden: 48");
  planner::write_file_atomically(shrink, y);
  expect_bad("--plan " + shrink + data + " --out " + dir_ + "/bad1", "shrink.yaml:");
  EXPECT_FALSE(fs::exists(dir_ + "/bad1"));
  const std::string head = dir_ + "/head.yaml";
  planner::write_file_atomically(head, plan_yaml(3e-3, 32, 1));  // head size 32 -> 16
  expect_bad("--plan " + head + data + " --out " + dir_ + "/bad2", "head size shrinks");
  EXPECT_FALSE(fs::exists(dir_ + "/bad2"));
  // Rotary: the head size may not grow (8 -> 16); heads must (docs/formulas.md "Growth").
  TinyGrowthPlan rotary;
  rotary.first_heads = 4;
  rotary.model_extra = ", position_embedding: rotary";
  const std::string rotary_plan = dir_ + "/rotary-head-size.yaml";
  planner::write_file_atomically(rotary_plan, test::tiny_growth_plan_yaml(rotary));
  expect_bad(
      "--plan " + rotary_plan + data + " --out " + dir_ + "/bad-rotary",
      "stages[1].hidden: cannot grow from stage 'small': hidden changes the head size hidden/heads from 8 to 16");
  EXPECT_FALSE(fs::exists(dir_ + "/bad-rotary"));
  // Missing data and a corrupt shard header.
  expect_bad("--plan " + dir_ + "/plan.yaml --data " + dir_ + "/nope --out " + dir_ + "/bad3", "nope");
  EXPECT_FALSE(fs::exists(dir_ + "/bad3"));
  fs::create_directories(dir_ + "/corrupt-data");
  fs::copy_file(dir_ + "/data/val.bin", dir_ + "/corrupt-data/val.bin", fs::copy_options::overwrite_existing);
  std::string shard = planner::read_file(dir_ + "/data/train.bin");
  shard[0] = 'Z';
  planner::write_file_atomically(dir_ + "/corrupt-data/train.bin", shard);
  expect_bad("--plan " + dir_ + "/plan.yaml --data " + dir_ + "/corrupt-data --out " + dir_ + "/bad4",
             "train.bin: magic:");
  EXPECT_FALSE(fs::exists(dir_ + "/bad4"));

  // A run directory: a fresh start into it, or a resume with another plan,
  // is refused and leaves every file as it was.
  const std::string run = dir_ + "/owned";
  train(run, "--stop-after-steps 3");
  const std::string before = tree_listing(run);
  expect_bad("--plan " + dir_ + "/plan.yaml" + data + " --out " + run, "already holds a run");
  const std::string other = dir_ + "/other.yaml";
  planner::write_file_atomically(other, plan_yaml(1e-3));
  expect_bad("--plan " + other + data + " --out " + run + " --resume", "another plan");
  EXPECT_EQ(tree_listing(run), before);
}

}  // namespace
}  // namespace sprout::backend
