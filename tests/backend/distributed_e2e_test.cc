// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train data-parallel end to end: 1, 2 and 4 processes meeting over
// Gloo on this machine (tiny shapes, seconds per run). Same losses as one
// process for the same global batch across two growths (relative tolerance
// 1e-5; measured ~1.5e-7), ZeRO-1 on and off bitwise equal, a signal on one
// rank stops all at the same step, a rank killed or stopped makes the others
// exit 1 within the collective timeout, and resume continues exactly.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "checkpoint/checkpoint.h"
#include "rank_processes.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/plan/trainer_limits.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;
using test::RankProcesses;

constexpr double kLossRelativeTolerance = 1e-5;

using test::checkpoint_name;
using test::exact_step_losses;

struct PlanSpec {
  int dp = 0;  // > 0: every stage has parallel: {dp, micro_batch}
  int micro_batch = 4;
  double dropout = 0;
  double token_scale = 1;  // 8 steps per stage at 1
  int timeout_s = 20;      // training.collective_timeout_s
};

// The shared tiny growth plan, 1 thread per rank.
std::string plan_yaml(const PlanSpec& p) {
  test::TinyGrowthPlan t;
  t.token_scale = p.token_scale;
  t.gpus = std::max(1, p.dp);
  t.model_extra = ", dropout: " + std::to_string(p.dropout);
  t.training_extra = ", threads: 1, collective_timeout_s: " + std::to_string(p.timeout_s);
  t.first_parallel =
      p.dp > 0 ? "{tp: 1, pp: 1, dp: " + std::to_string(p.dp) + ", micro_batch: " + std::to_string(p.micro_batch) + "}"
               : "";
  t.later_parallel = t.first_parallel;
  return test::tiny_growth_plan_yaml(t);
}

class DataParallel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("dp-e2e");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string write_plan(const std::string& name, const PlanSpec& p) {
    const std::string path = dir_ + "/" + name + ".yaml";
    planner::write_file_atomically(path, plan_yaml(p));
    return path;
  }

  static std::string command(const std::string& plan, const std::string& run, const std::string& extra = "") {
    return sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " + run +
           " --quiet " + extra;
  }

  // Runs `ranks` processes to the end; expects every one to exit `expect`.
  static void train(int ranks, const std::string& plan, const std::string& run, const std::string& extra = "",
                    int expect = 0) {
    RankProcesses p(ranks, command(plan, run, extra), run + ".log");
    const std::vector<int> codes = p.wait_all(120);
    for (int r = 0; r < ranks; ++r)
      EXPECT_EQ(codes[static_cast<size_t>(r)], expect) << "rank " << r << ": " << p.log(r);
  }

  static std::vector<nlohmann::json> telemetry(const std::string& run) { return test::read_telemetry(run); }

  // (step, loss) of every training step; `event` instead: that event's value.
  static std::vector<std::pair<long long, double>> series(const std::string& run, const std::string& event = "",
                                                          const std::string& key = "loss") {
    std::vector<std::pair<long long, double>> out;
    for (const auto& j : telemetry(run)) {
      if (j.value("event", "") == event) out.emplace_back(j["step"].get<long long>(), j[key].get<double>());
    }
    return out;
  }

  static void expect_close(const std::vector<std::pair<long long, double>>& want,
                           const std::vector<std::pair<long long, double>>& got, const std::string& what) {
    ASSERT_EQ(want.size(), got.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(want[i].first, got[i].first) << what;
      EXPECT_NEAR(got[i].second, want[i].second, kLossRelativeTolerance * std::abs(want[i].second))
          << what << " at step " << want[i].first;
    }
  }

  static long long last_step(const std::string& run) {
    const auto s = series(run);
    return s.empty() ? 0 : s.back().first;
  }

  static void wait_for_step(const std::string& run, long long step) {
    for (int i = 0; i < 3000 && last_step(run) < step; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  static inline std::string dir_;
};

TEST_F(DataParallel, TwoAndFourRanksMatchOneProcessAcrossGrowths) {
  const std::string plan = write_plan("plain", {});
  train(1, plan, dir_ + "/one");
  train(2, plan, dir_ + "/two");
  train(4, plan, dir_ + "/four");
  const auto want = series(dir_ + "/one");
  ASSERT_EQ(want.size(), 24u);
  expect_close(want, series(dir_ + "/two"), "2 ranks");
  expect_close(want, series(dir_ + "/four"), "4 ranks");
  // Validation (ranks split the windows: 3 batches over 4 ranks) and growth.
  expect_close(series(dir_ + "/one", "eval", "val_loss"), series(dir_ + "/four", "eval", "val_loss"), "eval");
  const auto grow_after = series(dir_ + "/two", "grow", "val_loss_after");
  const auto grow_before = series(dir_ + "/two", "grow", "val_loss_before");
  ASSERT_EQ(grow_after.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(grow_after[i].second, grow_before[i].second, 1e-5 * grow_before[i].second);
  // Close, not bitwise: the ranks' partial gradients really were summed.
  EXPECT_NE(exact_step_losses(dir_ + "/one"), exact_step_losses(dir_ + "/two"));

  const auto summary = nlohmann::json::parse(planner::read_file(dir_ + "/four/summary.json"));
  EXPECT_EQ(summary["rank_count"], 4);
  EXPECT_EQ(summary["distributed"]["backend"], "gloo");
  EXPECT_EQ(summary["distributed"]["rendezvous"], "torchrun");
  EXPECT_TRUE(summary["complete"].get<bool>());
  EXPECT_EQ(summary["total"]["tokens"], 3 * 4096);
  for (const auto& j : telemetry(dir_ + "/four")) EXPECT_EQ(j["rank_count"], 4);
  // Only rank 0 writes telemetry: one line per step.
  EXPECT_EQ(series(dir_ + "/four").size(), 24u);
}

TEST_F(DataParallel, ZeroOneGivesBitwiseTheSameLossesAndShardsItsCheckpoints) {
  const std::string plan = write_plan("plain", {});
  train(2, plan, dir_ + "/zero-off", "--zero1 off");
  train(2, plan, dir_ + "/zero-on", "--zero1 on");
  EXPECT_EQ(exact_step_losses(dir_ + "/zero-on"), exact_step_losses(dir_ + "/zero-off"));
  const std::string last = dir_ + "/zero-on/checkpoints/step-000000024";
  EXPECT_EQ(checkpoint_problem(last), "");
  EXPECT_TRUE(fs::exists(last + "/optimizer-rank-00000-of-00002.bin"));
  EXPECT_TRUE(fs::exists(last + "/optimizer-rank-00001-of-00002.bin"));
  EXPECT_FALSE(fs::exists(dir_ + "/zero-off/checkpoints/step-000000024/optimizer-rank-00000-of-00002.bin"));
  // The moments are split, not copied: the shards hold about what the
  // unsharded checkpoint holds in tensors.bin beyond rank 0's model.
  const auto bytes = [](const std::string& p) { return static_cast<double>(fs::file_size(p)); };
  const double shards =
      bytes(last + "/optimizer-rank-00000-of-00002.bin") + bytes(last + "/optimizer-rank-00001-of-00002.bin");
  const double moments_unsharded =
      bytes(dir_ + "/zero-off/checkpoints/step-000000024/tensors.bin") - bytes(last + "/tensors.bin");
  EXPECT_NEAR(shards, moments_unsharded, 0.02 * moments_unsharded);
  // A checkpoint does not depend on how many ranks wrote it: one process
  // resumes the 2-rank, sharded one.
  const std::string one = dir_ + "/zero-on-then-one";
  fs::create_directories(one);
  fs::copy(dir_ + "/zero-on", one, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  planner::remove_tree(one + "/checkpoints/step-000000024");
  train(1, plan, one, "--resume");
  const auto a = series(dir_ + "/zero-on");
  const auto b = series(one);
  expect_close(a, b, "resumed on one process");
}

// With dropout the masks follow the sequences, not the ranks: the same
// micro-batch size gives the same masks on 1 or 2 ranks.
TEST_F(DataParallel, DropoutMasksDoNotDependOnTheRankCount) {
  train(1, write_plan("dropout-1", {1, 4, 0.1}), dir_ + "/dropout-one");
  train(2, write_plan("dropout-2", {2, 4, 0.1}), dir_ + "/dropout-two");
  expect_close(series(dir_ + "/dropout-one"), series(dir_ + "/dropout-two"), "dropout 0.1");
}

TEST_F(DataParallel, ASignalOnOneRankStopsEveryRankAtTheSameStepAndResumeIsExact) {
  const std::string plan = write_plan("long", {0, 4, 0, 40});  // 320 steps per stage
  const std::string straight = dir_ + "/sig-straight";
  train(2, plan, straight, "--zero1 on --stop-after-steps 40");
  const std::string run = dir_ + "/sig";
  {
    RankProcesses p(2, command(plan, run, "--zero1 on"), run + ".log");
    wait_for_step(run, 10);
    p.signal(1, SIGUSR1);  // Slurm's preemption signal, to one rank only
    const std::vector<int> codes = p.wait_all(60);
    EXPECT_EQ(codes, (std::vector<int>{75, 75})) << p.log(0) << p.log(1);
  }
  const long long stopped = last_step(run);
  ASSERT_GE(stopped, 10);
  ASSERT_LT(stopped, 40);
  EXPECT_EQ(checkpoint_problem(run + "/checkpoints/" + checkpoint_name(stopped)), "");
  train(2, plan, run, "--zero1 on --resume --stop-after-steps 40");
  EXPECT_EQ(exact_step_losses(run), exact_step_losses(straight));
}

TEST_F(DataParallel, AKilledRankStopsTheOthersWithinTheTimeoutAndResumeContinues) {
  const std::string plan = write_plan("kill", {0, 4, 0, 40, 10});  // 10 s collective timeout
  const std::string straight = dir_ + "/kill-straight";
  train(2, plan, straight, "--stop-after-steps 30");
  const std::string run = dir_ + "/kill";
  long long killed_after = 0;
  {
    RankProcesses p(2, command(plan, run), run + ".log");
    wait_for_step(run, 12);
    killed_after = last_step(run);
    p.signal(1, SIGKILL);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(p.wait(0, 10 + 5), 1) << "rank 0 did not exit after its peer died";
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
    const std::string err = p.log(0);
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("sprout-train: error: "), std::string::npos) << err;
    EXPECT_NE(err.find("failed on rank 0/2 (gloo)"), std::string::npos) << err;
    EXPECT_NE(err.find("a peer rank died or did not answer within 10 s"), std::string::npos) << err;
  }
  // Nothing half-written is ever loaded: the newest complete checkpoint is
  // at most one checkpoint interval (3 steps) behind the last logged step
  // (the kill may hit the next checkpoint while it is written).
  const CheckpointSearch found = load_newest_checkpoint(run + "/checkpoints");
  ASSERT_TRUE(found.newest);
  EXPECT_GE(found.newest->step, killed_after - 3);
  EXPECT_LE(found.newest->step, killed_after + 3);
  train(2, plan, run, "--resume --stop-after-steps 30");
  EXPECT_EQ(exact_step_losses(run), exact_step_losses(straight));
}

TEST_F(DataParallel, AStoppedRankFailsTheOthersAfterTheCollectiveTimeout) {
  const std::string plan = write_plan("stop", {0, 4, 0, 40, 3});  // 3 s collective timeout
  const std::string run = dir_ + "/stop";
  RankProcesses p(2, command(plan, run), run + ".log");
  wait_for_step(run, 5);
  p.signal(1, SIGSTOP);  // alive but silent: only the timeout can tell
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.wait(0, 3 + 10), 1);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(waited, 2.0);
  EXPECT_LT(waited, 3 + 3.0);
  EXPECT_NE(p.log(0).find("did not answer within 3 s"), std::string::npos) << p.log(0);
  p.signal(1, SIGKILL);
}

TEST_F(DataParallel, BadInputOnAnyRankStopsEveryRankWithExitCodeTwo) {
  // The plan's dp must equal the ranks started.
  const std::string plan = write_plan("dp1", {1, 4});
  {
    RankProcesses p(2, command(plan, dir_ + "/bad-dp"), dir_ + "/bad-dp.log");
    EXPECT_EQ(p.wait_all(60), (std::vector<int>{2, 2}));
    EXPECT_NE(p.log(1).find("parallel.dp: 1 data-parallel ranks planned but 2 process(es) running"), std::string::npos)
        << p.log(1);
  }
  // Bad input on one rank only (its --data is missing): that rank says
  // what, the other that it stopped because of it; nothing is written.
  {
    const std::string plain = write_plan("plain", {});
    const int port = test::free_tcp_port();
    const std::string env = "env WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
    const std::string run = dir_ + "/bad-data";
    const std::string rank0 = env + "RANK=0 " + command(plain, run) + " 2>" + run + ".0";
    const std::string rank1 = env + "RANK=1 " + sprout::test::sprout_train_cmd() + " --plan " + plain + " --data " +
                              dir_ + "/nope --out " + run + " --quiet 2>" + run + ".1";
    auto r = run_command("(" + rank0 + "; echo $? > " + run + ".rc0) & " + rank1 + "; echo $? > " + run + ".rc1; wait");
    EXPECT_EQ(planner::read_file(run + ".rc0"), "2\n");
    EXPECT_EQ(planner::read_file(run + ".rc1"), "2\n");
    EXPECT_NE(planner::read_file(run + ".1").find("nope: training.data: no such file or directory"), std::string::npos);
    EXPECT_EQ(planner::read_file(run + ".0"),
              "sprout-train: rank 0/2: stopped: rank 1 found bad input (its message says which)\n");
    EXPECT_FALSE(fs::exists(run));
  }
}

// planner::trainer_cannot_run is the one place that says which layouts
// sprout-train runs: `sprout export` and sprout-train refuse alike.
TEST_F(DataParallel, ALayoutTheTrainerCannotRunIsRefusedAtStartAsAtExport) {
  std::string y = plan_yaml({2, 4, 0.1});  // TP2 over a vocabulary it cannot split
  y.replace(y.find("tp: 1, pp: 1, dp: 2"), 19, "tp: 2, pp: 1, dp: 1");
  y.replace(y.find("vocab: 256"), 10, "vocab: 257");
  const std::string plan = dir_ + "/tp2.yaml";
  planner::write_file_atomically(plan, y);
  const auto refusal = planner::trainer_refusal(planner::load_plan(plan));
  ASSERT_TRUE(refusal);
  const auto problem = planner::trainer_cannot_run(planner::load_plan(plan));
  ASSERT_EQ(problem, refusal->reason);
  auto r = run_command(command(plan, dir_ + "/tp2"));
  EXPECT_EQ(r.exit_code, 2);
  // Where in the plan: the stage's parallel: mapping.
  EXPECT_EQ(refusal->where.file, plan);
  EXPECT_GT(refusal->where.line, 1);
  EXPECT_EQ(r.err, fmt::format("{}:{}:{}: stages[0].parallel: {}\n", plan, refusal->where.line, refusal->where.column,
                               *problem));
  auto ex =
      run_command(sprout::test::sprout_cmd() + " export " + plan + " --target slurm --out " + dir_ + "/tp2-export");
  EXPECT_EQ(ex.exit_code, 2);
  EXPECT_NE(ex.err.find(*problem), std::string::npos) << ex.err;
  EXPECT_FALSE(fs::exists(dir_ + "/tp2"));
}

}  // namespace
}  // namespace sprout::backend
