// SPDX-License-Identifier: GPL-3.0-or-later
// Fault injection (docs/reliability.md "Fault injection"): sprout-train
// SIGKILLed 50 times at seeded random steps of its checkpoint writes (every
// create, half-written file, fsync, rename, directory fsync and removal,
// SPROUT_FAULT_AT), each time resumed from a complete checkpoint, ends with
// exactly the losses and final weights of an uninterrupted run; a full disk
// (RLIMIT_FSIZE) fails a checkpoint write, and a plan export, with one line
// naming the file and leaves the earlier files as they were.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <sstream>

#include "checkpoint/checkpoint.h"
#include "sprout/planner/base/file_io.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;

constexpr int kKillPoints = 50;
constexpr unsigned kSeed = 20261205;

struct FileStep {
  long long number = 0;
  std::string kind;  // create | write | fsync | fsync-dir | rename | remove
  std::string path;
};

std::vector<FileStep> read_trace(const std::string& path) {
  std::vector<FileStep> out;
  std::istringstream in(planner::read_file(path));
  FileStep s;
  while (in >> s.number >> s.kind >> s.path) out.push_back(s);
  return out;
}

class FaultInjection : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("fault");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    test::TinyGrowthPlan p;
    p.training_extra = ", threads: 1";
    p.token_scale = 4;  // 96 steps: 25 kills in a row leave steps to run
    planner::write_file_atomically(dir_ + "/plan.yaml", test::tiny_growth_plan_yaml(p));
  }

  // `env` is put before the command (e.g. "SPROUT_FAULT_AT=12 ").
  static sprout::test::CommandResult train(const std::string& run, const std::string& extra = "",
                                           const std::string& env = "") {
    return run_command(env + sprout::test::sprout_train_cmd() + " --plan " + dir_ + "/plan.yaml --data " + dir_ +
                       "/data --out " + run + " --threads 1 --quiet " + extra);
  }

  static std::string final_weights(const std::string& run) {
    const auto all = list_checkpoints(run + "/checkpoints");
    return all.empty() ? "" : planner::read_file(all.back().second + "/tensors.bin");
  }

  static inline std::string dir_;
};

// One run killed again and again: each process resumes the run and is
// killed at a random step of its checkpoint writes (its first two
// checkpoints, prune included); `kills` records where each kill landed.
struct KillChain {
  std::string run;
  std::mt19937 rng;
  std::vector<FileStep> kills;
  int other_kills = 0;  // kills that landed outside checkpoints/
  std::string error;
};

void run_chain(KillChain& c, size_t checkpoint_kills,
               const std::function<sprout::test::CommandResult(const std::string&, const std::string&)>& train) {
  for (int attempt = 0; c.kills.size() < checkpoint_kills && attempt < 4 * static_cast<int>(checkpoint_kills);
       ++attempt) {
    // Steps 1-5 of a resumed process rewrite telemetry.jsonl; a checkpoint
    // takes 14 steps (18 with a prune).
    const long long at = std::uniform_int_distribution<long long>(6, 37)(c.rng);
    const std::string trace = c.run + ".trace-" + std::to_string(attempt);
    auto r = train("--resume", "SPROUT_FAULT_AT=" + std::to_string(at) + " SPROUT_FAULT_TRACE=" + trace + " ");
    if (r.exit_code != 128 + 9) {
      c.error = "attempt " + std::to_string(attempt) + " at step " + std::to_string(at) + ": exit " +
                std::to_string(r.exit_code) + " " + r.err;
      return;
    }
    const std::vector<FileStep> steps = read_trace(trace);
    if (steps.empty() || steps.back().number != at) {
      c.error = "attempt " + std::to_string(attempt) + ": the trace does not end at step " + std::to_string(at);
      return;
    }
    if (steps.back().path.find("/checkpoints") != std::string::npos) {
      c.kills.push_back(steps.back());
    } else {
      ++c.other_kills;
    }
  }
  if (c.error.empty() && c.kills.size() < checkpoint_kills) c.error = "too few kills landed in checkpoint writes";
}

TEST_F(FaultInjection, SigkillAt50RandomCheckpointStepsThenResumeIsBitExact) {
  const std::string reference = dir_ + "/reference";
  auto ref = train(reference);
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto want_losses = test::exact_step_losses(reference);
  const std::string want_weights = final_weights(reference);
  ASSERT_EQ(want_losses.size(), 96u);
  ASSERT_FALSE(want_weights.empty());

  // Two runs, 25 kills each, side by side (one thread each: the outcome
  // does not depend on timing); each starts with a checkpoint at step 3.
  std::vector<KillChain> chains(2);
  std::vector<std::future<void>> running;
  for (size_t i = 0; i < chains.size(); ++i) {
    chains[i].run = dir_ + "/chain-" + std::to_string(i);
    chains[i].rng.seed(kSeed + static_cast<unsigned>(i));
    running.push_back(std::async(std::launch::async, [&, i] {
      KillChain& c = chains[i];
      auto first = train(c.run, "--stop-after-steps 3");
      if (first.exit_code != 0) {
        c.error = "first start: " + first.err;
        return;
      }
      run_chain(c, kKillPoints / 2,
                [&](const std::string& extra, const std::string& env) { return train(c.run, extra, env); });
    }));
  }
  for (auto& f : running) f.get();
  std::map<std::string, int> kinds;
  int other = 0;
  for (const KillChain& c : chains) {
    ASSERT_EQ(c.error, "") << c.run;
    for (const FileStep& s : c.kills) ++kinds[s.kind];
    other += c.other_kills;
    auto rest = train(c.run, "--resume");
    ASSERT_EQ(rest.exit_code, 0) << rest.err;
    EXPECT_EQ(test::exact_step_losses(c.run), want_losses) << c.run;  // every step, the full double
    EXPECT_EQ(final_weights(c.run), want_weights) << c.run;           // tensors.bin byte for byte
  }
  std::string summary;
  int total = 0;
  for (const auto& [kind, n] : kinds) {
    summary += " " + kind + "=" + std::to_string(n);
    total += n;
  }
  EXPECT_EQ(total, kKillPoints);
  for (const char* kind : {"create", "write", "fsync", "fsync-dir", "rename", "remove"}) {
    EXPECT_GT(kinds[kind], 0) << kind << ":" << summary;
  }
  std::cout << "[ fault    ] " << total << " kills in checkpoint writes:" << summary << " (+" << other
            << " elsewhere)\n";
}

// RLIMIT_FSIZE makes every write past the limit fail with EFBIG (SIGXFSZ
// ignored, as bash's `trap '' XFSZ` leaves it for the exec'd process).
std::string with_file_size_limit_kib(int kib, const std::string& command) {
  return "ulimit -f " + std::to_string(kib) + "; trap '' XFSZ; exec " + command;
}

TEST_F(FaultInjection, AFullDiskFailsTheWriteWithOneLineAndKeepsEarlierFiles) {
  // sprout-train: a checkpoint (hundreds of KiB) cannot be written under 64 KiB.
  const std::string run = dir_ + "/full-disk";
  auto first = train(run, "--stop-after-steps 3");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string checkpoint = checkpoint_dir(run + "/checkpoints", 3);
  const std::string summary = planner::read_file(run + "/summary.json");
  const std::string weights = planner::read_file(checkpoint + "/tensors.bin");
  auto full = run_command(with_file_size_limit_kib(64, sprout::test::sprout_train_cmd() + " --plan " + dir_ +
                                                           "/plan.yaml --data " + dir_ + "/data --out " + run +
                                                           " --threads 1 --quiet --resume"));
  EXPECT_EQ(full.exit_code, 1) << full.err;
  EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err;
  EXPECT_NE(full.err.find("tensors.bin: write failed: File too large"), std::string::npos) << full.err;
  EXPECT_EQ(checkpoint_problem(checkpoint), "");
  EXPECT_EQ(planner::read_file(checkpoint + "/tensors.bin"), weights);
  EXPECT_EQ(planner::read_file(run + "/summary.json"), summary);
  EXPECT_EQ(list_checkpoints(run + "/checkpoints").back().first, 3);
  // With room again it resumes from step 3.
  auto resumed = train(run, "--resume --stop-after-steps 9");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(test::exact_step_losses(run).size(), 9u);

  // sprout export: the plan copy and the script are written atomically, so
  // a second export into the same directory under a 1 KiB limit fails naming
  // the file and leaves the first export's files whole.
  const std::string sprout = sprout::test::sprout_cmd();
  const std::string plan = sprout::test::source_path("plans/tiny-cpu.yaml");
  const std::string out = dir_ + "/export";
  auto ok = run_command(sprout + " export " + plan + " --target slurm --out " + out);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const std::string plan_copy = planner::read_file(out + "/plan.yaml");
  ASSERT_GT(plan_copy.size(), 1024u);
  auto refused = run_command(with_file_size_limit_kib(1, sprout + " export " + plan + " --target slurm --out " + out));
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_NE(refused.err.find(out + "/plan.yaml: write failed: File too large"), std::string::npos) << refused.err;
  EXPECT_EQ(planner::read_file(out + "/plan.yaml"), plan_copy);
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace sprout::backend
