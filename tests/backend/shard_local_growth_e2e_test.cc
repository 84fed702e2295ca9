// SPDX-License-Identifier: GPL-3.0-or-later
// Shard-local growth end to end (docs/backend.md "Shard-local growth"): 4
// sprout-train processes over Gloo grow a TP2 x PP2 model in width and depth
// into other layouts, each rank building only its part; its peak memory at
// each growth against its steady state, the losses against the path
// through the full model (bit for bit) and one process, and a resume with a
// growth due that reads only each rank's part.
#include <algorithm>
#include <iostream>
#include <map>
#include <utility>

#include "model_parallel_fixture.h"

namespace sprout::backend {
namespace {

using ShardLocalGrowth = ModelParallel;

// Per grow record (its stage): each rank's peak memory during the growth
// (rank_peak_memory_bytes) over its steady-state peak, the larger of the
// stage before's and the grown stage's (rank_steady_memory_bytes of each
// stage's last eval record: the largest step peak after its first); printed.
std::vector<std::pair<std::string, std::vector<double>>> growth_peak_ratios(const std::string& run) {
  std::map<std::string, std::vector<double>> steady;  // by stage
  std::vector<nlohmann::json> grows;
  std::vector<std::string> stages;  // in order
  for (const auto& j : test::read_telemetry(run)) {
    const std::string stage = j.value("stage", "");
    if (stages.empty() || stages.back() != stage) stages.push_back(stage);
    if (j.contains("rank_steady_memory_bytes"))
      steady[stage] = j["rank_steady_memory_bytes"].get<std::vector<double>>();
    if (j.value("event", "") == "grow") grows.push_back(j);
  }
  std::vector<std::pair<std::string, std::vector<double>>> out;
  for (const auto& j : grows) {
    const std::string stage = j["stage"].get<std::string>();
    const auto at = std::find(stages.begin(), stages.end(), stage);
    const auto peaks = j.at("rank_peak_memory_bytes").get<std::vector<double>>();
    const auto before = steady.at(*std::prev(at));
    const auto after = steady.at(stage);
    EXPECT_EQ(peaks.at(0), j.at("peak_memory_bytes").get<double>());
    std::vector<double> ratios;
    for (size_t r = 0; r < peaks.size(); ++r) {
      const double reference = std::max(before.at(r), after.at(r));
      EXPECT_GT(reference, 0) << "rank " << r;
      ratios.push_back(peaks[r] / reference);
      std::cout << run << ": growth to " << stage << ": rank " << r << " peak " << peaks[r] << " bytes, steady "
                << before[r] << " before, " << after[r] << " after (x" << ratios.back() << ")\n";
    }
    out.emplace_back(stage, ratios);
  }
  EXPECT_EQ(out.size(), 2u) << run;
  return out;
}

// Shard-local growth. TP2 x PP2 (2 blocks of hidden 128) grows in width
// (hidden 256) into TP2 x DP2 and in depth (4 blocks) into TP2 x PP2 again,
// micro-batches of one sequence so that parameters, gradients and moments
// outweigh activations: each rank builds its part of the grown model from
// the ranks' parts, its peak memory during each growth at most 1.5x its
// steady state; the same plan through the full model on every rank
// (--shard-local-growth off) trains the same losses bit for bit. Stopped at
// the end of the second stage (the depth growth due) and resumed, each rank
// reads only its part of the second stage and grows it shard-local: the
// same losses bit for bit.
TEST_F(ShardLocalGrowth, FromTp2Pp2IsShardLocalAlsoAfterAResumeAndTrainsTheFullModelPathsLossesBitForBit) {
  auto plan = [&](const std::string& name, int gpus, const std::string& a, const std::string& b, const std::string& c) {
    std::string p = write_plan(name, gpus, a, b, c);
    p = edited(p, "name: small, layers: 1, hidden: 32", "name: small, layers: 2, hidden: 128");
    p = edited(p, "width: true, grow_steps: 4}, layers: 1, hidden: 64",
               "width: true, grow_steps: 4}, layers: 2, hidden: 256");
    return edited(p, "depth: true, grow_steps: 4}, layers: 2, hidden: 64",
                  "depth: true, grow_steps: 4}, layers: 4, hidden: 256");
  };
  const std::string four = plan("shard-local", 4, layout(2, 2, 1, 1), layout(2, 1, 2, 1), layout(2, 2, 1, 1));
  train(4, four, dir_ + "/shard-local");
  train(4, four, dir_ + "/through-full", "--shard-local-growth off");
  EXPECT_EQ(test::exact_step_losses(dir_ + "/shard-local"), test::exact_step_losses(dir_ + "/through-full"));
  train(1, plan("one-2-2-4", 1, layout(1, 1, 1, 1), layout(1, 1, 1, 1), layout(1, 1, 1, 1)), dir_ + "/one-2-2-4");
  // Hidden 256: the ranks' reductions reassociate sums over 4x more terms
  // than the tiny plan's, and 24 Adam steps carry the difference further.
  expect_same_losses_as_one_process(dir_ + "/shard-local", dir_ + "/one-2-2-4", 2e-4);
  for (const auto& [stage, ratios] : growth_peak_ratios(dir_ + "/shard-local")) {
    for (size_t r = 0; r < ratios.size(); ++r) EXPECT_LE(ratios[r], 1.5) << "growth to " << stage << ", rank " << r;
  }
  // Resumed at the depth growth (step 16): the stage before's parts.
  const std::string resumed = dir_ + "/shard-local-resumed";
  train(4, four, resumed, "--stop-after-steps 16");
  const std::string checkpoint = resumed + "/checkpoints/" + test::checkpoint_name(16);
  ASSERT_NE(planner::read_file(checkpoint + "/state.json").find("\"stage_index\": 2"), std::string::npos);
  std::vector<double> parts;  // read now: the resumed run keeps only its 2 newest checkpoints
  for (int r = 0; r < 4; ++r) parts.push_back(part_bytes(four, checkpoint, r, 4));
  train(4, four, resumed, "--resume");
  EXPECT_EQ(test::exact_step_losses(resumed), test::exact_step_losses(dir_ + "/shard-local"));
  std::vector<double> read;
  for (const auto& j : test::read_telemetry(resumed)) {
    if (j.value("event", "") == "resume") read = j.at("resume_bytes_read").get<std::vector<double>>();
  }
  ASSERT_EQ(read.size(), 4u);
  for (size_t r = 0; r < 4; ++r) {
    std::cout << "resume at the depth growth, rank " << r << ": read " << read[r] << " bytes, its part " << parts[r]
              << " bytes (x" << read[r] / parts[r] << ")\n";
    EXPECT_GE(read[r], parts[r]) << "rank " << r;
    EXPECT_LE(read[r], 1.2 * parts[r]) << "rank " << r;
  }
  // Through the full model (3 copies of it on every rank) the same growths
  // peak well above the bound: the check above can fail.
  for (const auto& [stage, ratios] : growth_peak_ratios(dir_ + "/through-full")) {
    EXPECT_GT(*std::max_element(ratios.begin(), ratios.end()), 1.5) << "growth to " << stage;
  }
}

}  // namespace
}  // namespace sprout::backend
