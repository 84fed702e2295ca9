// SPDX-License-Identifier: GPL-3.0-or-later
// What sprout-train refuses (planner::trainer_cannot_run), the one rule set
// that `sprout export` and sprout-train share.
#include "sprout/planner/plan/trainer_limits.h"

#include <gtest/gtest.h>

#include "sprout/planner/base/input_error.h"
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
  // Every position embedding, also with sequence parallelism (the attention sees all positions).
  for (const char* position : {"rotary", "xpos"}) {
    EXPECT_EQ(problem_of({.parallel = "{tp: 2, pp: 2, dp: 1, micro_batch: 4}", .position = position}), "");
  }
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
}

// Two stages, 1 x 64 with `first_heads` heads, then 1 x 128 with 8 heads (a width growth).
std::string growth_error(const std::string& position, int first_heads) {
  const std::string yaml =
      "name: t\nhardware: cpu-generic\ngpus: 1\nregion: us-average\n"
      "model: {vocab: 256, seq_len: 32, position_embedding: " +
      position +
      "}\nstages:\n"
      "  - {name: small, layers: 1, hidden: 64, heads: " +
      std::to_string(first_heads) +
      ", tokens: 4096, global_batch_tokens: 512, lr: 1e-3}\n"
      "  - {name: wide, grow: {width: true}, layers: 1, hidden: 128, heads: 8, tokens: 4096, "
      "global_batch_tokens: 512, lr: 1e-3}\n";
  try {
    require_trainable_growth(load_plan_from_string(yaml, "t.yaml"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TrainerSupport, RefusesHeadSizeGrowthUnderRotaryAndXposOnly) {
  // Heads of 16 -> 16: heads are added, fine under every position embedding.
  for (const char* position : {"learned", "rotary", "xpos"}) EXPECT_EQ(growth_error(position, 4), "") << position;
  // Heads of 8 -> 16: learned positions only (docs/formulas.md "Growth").
  EXPECT_EQ(growth_error("learned", 8), "");
  EXPECT_EQ(growth_error("rotary", 8),
            "t.yaml:8:58: stages[1].hidden: cannot grow from stage 'small': hidden changes the head size hidden/heads "
            "from 8 to 16, but rotary turns pair i by theta_i = 10000^(-2i/d) of the head size d: grow the heads "
            "instead (keep hidden/heads = 8)");
  EXPECT_NE(growth_error("xpos", 8).find("but xpos turns pair i"), std::string::npos);
}

}  // namespace
}  // namespace sprout::planner
