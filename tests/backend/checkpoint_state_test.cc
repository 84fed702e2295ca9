// SPDX-License-Identifier: GPL-3.0-or-later
// A checkpoint's state.json read back field by field: what the trainer wrote
// comes back equal, and a state it could not have written is refused with
// the file and `state.<field>` named (docs/reliability.md "Every file read
// back is verified"), where a library's exception escaped before.
#include "checkpoint/checkpoint_state.h"

#include <gtest/gtest.h>

#include <string>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

CheckpointState sample_state() {
  CheckpointState s;
  s.counters.plan_fingerprint = "0fd6f271-1639";
  s.counters.global_step = 9;
  s.counters.stage_index = 1;
  s.counters.step_in_stage = 1;
  s.counters.sequences_consumed = 144;
  s.counters.tokens = 4608;
  s.counters.last_train_loss = 4.695;
  s.counters.recent_losses = {4.7, 4.69};
  s.counters.stages = {StageRecord{"small", 8, 4096, 0.08, 5.56, 5.5e8, 4.72, 4.68, true},
                       StageRecord{"wide", 1, 512, 0.03, 2.4, 2.1e8, 4.695}};
  s.shape = {2, 64, 4, 4, 256, 256, 32, planner::Activation::kGelu};
  s.init_std = 0.02;
  s.dropout = 0.1;
  s.adam_step = 9;
  s.ramp = CheckpointState::Ramp{{1, 32, 2, 2, 128, 256, 32, planner::Activation::kGelu}, 4, 1, {false, true}};
  return s;
}

// The error message of parsing `sample_state()` with `change` applied to its JSON.
template <typename Change>
std::string state_error(Change change) {
  nlohmann::json j = checkpoint_state_to_json(sample_state());
  change(j);
  try {
    (void)parse_checkpoint_state(j.dump(2), "run/checkpoints/step-000000009/state.json");
  } catch (const planner::InputError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(CheckpointState, RoundTripsEveryField) {
  const std::string text = checkpoint_state_to_json(sample_state()).dump(2);
  const CheckpointState back = parse_checkpoint_state(text, "state.json");
  EXPECT_EQ(checkpoint_state_to_json(back).dump(2), text);
  EXPECT_EQ(back.counters.stage_index, 1u);
  EXPECT_TRUE(std::isnan(back.counters.stages[1].final_val_loss));  // null: no evaluation yet
  ASSERT_TRUE(back.ramp);
  EXPECT_EQ(back.ramp->new_layer, (std::vector<bool>{false, true}));
}

TEST(CheckpointState, RefusesAStateTheTrainerCouldNotHaveWritten) {
  const std::string file = "run/checkpoints/step-000000009/state.json: ";
  EXPECT_EQ(state_error([](auto& j) { j["format"] = 3; }),
            file + "state.format: 3 is not 2 (written by another sprout-train version)");
  EXPECT_EQ(state_error([](auto& j) { j["stage_index"] = 3; }),
            file + "state.stage_index: 3 is too large for a count (at most 2)");
  EXPECT_EQ(state_error([](auto& j) { j["step_in_stage"] = 10; }),
            file + "state.step_in_stage: 10 is too large for a count (at most 9)");
  EXPECT_EQ(state_error([](auto& j) { j["global_step"] = "9"; }),
            file + "state.global_step: expected a number, got \"9\"");
  EXPECT_EQ(state_error([](auto& j) { j["shape"]["layers"] = 1e20; }),
            file + "state.shape.layers: 1e+20 is too large for a count (at most 2147483647)");
  EXPECT_EQ(state_error([](auto& j) { j["shape"]["kv_heads"] = 3; }),
            file + "state.shape.kv_heads: does not divide heads");
  EXPECT_EQ(state_error([](auto& j) { j["ramp"]["new_layer"] = {false}; }),
            file + "state.ramp.new_layer: has 1 entries for a model of 2 layers");
  EXPECT_EQ(state_error([](auto& j) { j["ramp"]["steps_done"] = 5; }),
            file + "state.ramp.steps_done: 5 is too large for a count (at most 4)");
  EXPECT_EQ(state_error([](auto& j) { j["stages"][1].erase("done"); }), file + "state.stages[1].done: missing");
  EXPECT_EQ(state_error([](auto& j) { j["stages"] = nlohmann::json::array(); }),
            file + "state.stages: expected a non-empty array of stage records");
  EXPECT_EQ(state_error([](auto& j) { j["dropout"] = 1; }), file + "state.dropout: is not below 1");
  EXPECT_EQ(state_error([](auto& j) {
              j["recent_losses"] = {1, "x"};
            }),
            file + "state.recent_losses: expected an array of finite numbers");
}

TEST(CheckpointState, NamesTheLineOfTextThatIsNotJson) {
  try {
    (void)parse_checkpoint_state("{\n  \"format\": 2,\n  \"global_step\": 9x\n}\n", "state.json");
    FAIL() << "accepted";
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.where().line, 3);
    EXPECT_EQ(std::string(e.what()).rfind("state.json:3:", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace sprout::backend
