// SPDX-License-Identifier: GPL-3.0-or-later
// What sprout-train refuses (planner::trainer_cannot_run), the one rule set
// that `sprout export` and sprout-train share.
#include "sprout/planner/plan/trainer_limits.h"

#include <gtest/gtest.h>

#include "sprout/planner/io/plan_loader.h"

namespace sprout::planner {
namespace {

struct TinyStage {
  int vocab = 256;
  int seq_len = 32;
  double dropout = 0;
  std::string parallel;
  std::string position = "learned";
};

// One stage, 4 layers x 64 wide, 4 heads, 16 sequences per batch.
std::string problem_of(const TinyStage& s) {
  const std::string yaml =
      "name: t\nhardware: cpu-generic\ngpus: 4\nregion: us-average\n"
      "model: {vocab: " +
      std::to_string(s.vocab) + ", seq_len: " + std::to_string(s.seq_len) +
      ", activation: gelu, dropout: " + std::to_string(s.dropout) + ", position_embedding: " + s.position +
      "}\nstages:\n  - {name: only, layers: 4, hidden: 64, heads: 4, tokens: 4096, global_batch_tokens: " +
      std::to_string(16 * s.seq_len) + ", lr: 1e-3, parallel: " + s.parallel + "}\n";
  return trainer_cannot_run(load_plan_from_string(yaml, "t.yaml")).value_or("");
}

TEST(TrainerSupport, RunsDropoutAndSequenceParallelismUnderEveryLayout) {
  EXPECT_EQ(problem_of({.dropout = 0.1, .parallel = "{tp: 2, pp: 2, dp: 1, micro_batch: 4}"}), "");
  EXPECT_EQ(problem_of({.dropout = 0.1, .parallel = "{tp: 4, pp: 1, dp: 1, micro_batch: 4, sequence_parallel: true}"}),
            "");
  EXPECT_EQ(problem_of({.parallel = "{tp: 1, pp: 4, dp: 1, micro_batch: 2}"}), "");
  // Without sequence parallelism the sequence need not split.
  EXPECT_EQ(problem_of({.seq_len = 30, .parallel = "{tp: 4, pp: 1, dp: 1, micro_batch: 4, sequence_parallel: false}"}),
            "");
}

TEST(TrainerSupport, RefusesWhatItCannotSplitWithTheReason) {
  EXPECT_EQ(problem_of({.seq_len = 30, .parallel = "{tp: 4, pp: 1, dp: 1, micro_batch: 4}"}),
            "stage 'only': layout TP4 PP1 DP1 mb4 sp rc:none cannot run in sprout-train: sequence parallelism splits "
            "seq_len=30 "
            "over tp=4 ranks, which does not divide it (set sequence_parallel: false)");
  EXPECT_NE(problem_of({.vocab = 257, .parallel = "{tp: 2, pp: 1, dp: 2, micro_batch: 4}"})
                .find("vocab=257 is not divisible by tp=2"),
            std::string::npos);
  EXPECT_NE(problem_of({.parallel = "{tp: 1, pp: 2, dp: 2, micro_batch: 8, interleave: 2}"})
                .find("interleaved 1F1B needs the micro-batches per pipeline (1) to be a multiple of pp=2"),
            std::string::npos);
  EXPECT_NE(problem_of({.parallel = "{tp: 2, pp: 1, dp: 2, micro_batch: 4}", .position = "rotary"})
                .find("learned position embeddings only"),
            std::string::npos);
}

}  // namespace
}  // namespace sprout::planner
