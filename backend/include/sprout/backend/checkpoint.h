// SPDX-License-Identifier: GPL-3.0-or-later
// Crash-safe checkpoints (docs/backend.md "Run directory"):
//   1. write tensors.bin and state.json into checkpoints/.tmp-step-N, fsync each;
//   2. fsync the temp dir, rename it to checkpoints/step-N, fsync checkpoints/;
//   3. write DONE (byte counts and CRC-32 of both files) atomically, last.
// A checkpoint without DONE, or whose files disagree with it, is incomplete
// or corrupt and is never loaded.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sprout/backend/tensor_archive.h"

namespace sprout::backend {

struct CheckpointData {
  NamedTensors tensors;
  std::string state_json;  // the trainer's scalar state (step, stage, ramp, ...)
};

// Writes step `step`, then deletes all but the newest `keep` checkpoints.
// Returns the checkpoint's directory.
std::string write_checkpoint(const std::string& checkpoints_dir, long long step, const CheckpointData& data,
                             int keep);

// "" when the checkpoint in `dir` is complete and intact, else the reason.
std::string checkpoint_problem(const std::string& dir);

// Checkpoint directories (complete or not) by ascending step.
std::vector<std::pair<long long, std::string>> list_checkpoints(const std::string& checkpoints_dir);

struct LoadedCheckpoint {
  std::string path;
  long long step = 0;
  CheckpointData data;
};

struct CheckpointSearch {
  std::optional<LoadedCheckpoint> newest;  // the newest complete, intact one
  std::vector<std::string> rejected;       // "step-N: reason" for newer ones that were skipped
};
CheckpointSearch load_newest_checkpoint(const std::string& checkpoints_dir);

}  // namespace sprout::backend
