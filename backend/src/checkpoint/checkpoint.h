// SPDX-License-Identifier: GPL-3.0-or-later
// Crash-safe checkpoints (docs/backend.md "Run directory"):
//   1. every file into checkpoints/.tmp-step-N, each fsynced: tensors.bin and
//      state.json from rank 0, and with a sharded optimizer (ZeRO-1) one
//      optimizer-rank-R-of-W.bin from every rank;
//   2. once all ranks' files are on disk: fsync the temp dir, rename it to
//      checkpoints/step-N, fsync checkpoints/;
//   3. write DONE (byte count and CRC-32 of every file) atomically, last.
// A checkpoint without DONE, or whose files disagree with it, is incomplete
// or corrupt and is never loaded. Loading merges all files into one set of
// named tensors, so a checkpoint does not depend on how many ranks wrote it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint_state.h"
#include "checkpoint/tensor_archive.h"
#include "comm/communicator.h"

namespace sprout::backend {

struct CheckpointData {
  NamedTensors tensors;
  std::string state_json;  // the trainer's scalar state (step, stage, ramp, ...)
};

// One process: writes step `step`, then deletes all but the newest `keep`
// checkpoints. Returns the checkpoint's directory.
std::string write_checkpoint(const std::string& checkpoints_dir, long long step, const CheckpointData& data, int keep);

// Every rank calls it at the same step (a collective). `data` is used on rank
// 0 only. With `rank_shards`, each rank also writes `rank_shard` (its part of
// the optimizer state) to optimizer-rank-R-of-W.bin. Rank 0 publishes only
// after every rank's file is on disk; every rank returns once the checkpoint
// is published. A rank that fails leaves the checkpoint unpublished and the
// others fail with CollectiveError.
std::string write_checkpoint(Communicator& comm, const std::string& checkpoints_dir, long long step,
                             const CheckpointData& data, bool rank_shards, const NamedTensors& rank_shard, int keep);

// checkpoints_dir/step-NNNNNNNNN: where step `step`'s checkpoint is published.
std::string checkpoint_dir(const std::string& checkpoints_dir, long long step);

// "" when the checkpoint in `dir` is complete and intact, else the reason.
std::string checkpoint_problem(const std::string& dir);

// Checkpoint directories (complete or not) by ascending step.
std::vector<std::pair<long long, std::string>> list_checkpoints(const std::string& checkpoints_dir);

struct LoadedCheckpoint {
  std::string path;
  long long step = 0;
  CheckpointData data;  // the tensors of all its files
};

// The checkpoint in `dir`; throws std::runtime_error when it is incomplete or corrupt.
LoadedCheckpoint load_checkpoint(const std::string& dir);

// A shard-local resume's reads (docs/backend.md "Resume semantics"): a rank
// reads DONE, state.json and the headers of the archives, then only the
// records it needs, each checked against its own CRC-32.
//
// state.json of the checkpoint in `dir`, checked against DONE (read in
// full, CRC-32 checked) and parsed; the other files DONE lists must exist
// with their listed sizes (not read). Throws std::runtime_error ("step-N:
// reason", never an InputError: an older checkpoint may do) when the
// checkpoint is incomplete or corrupt, or its state not one sprout-train wrote.
CheckpointState read_checkpoint_state(const std::string& dir);

// The path of the state.json of the checkpoint in `dir`.
std::string checkpoint_state_path(const std::string& dir);

// Every tensor record of the archives DONE lists, by name, from their
// headers alone. Throws std::runtime_error for a bad header or a name that
// two records share.
std::map<std::string, ArchiveRecord> index_checkpoint(const std::string& dir);

// One record's tensor (its bytes counted and checked against its CRC-32).
torch::Tensor read_checkpoint_record(const ArchiveRecord& record);

// Bytes this process has read from checkpoint files so far (CRC checks and
// loads, each file once per load): what a resume costs a rank.
long long checkpoint_bytes_read();

struct CheckpointSearch {
  std::optional<LoadedCheckpoint> newest;  // the newest complete, intact one
  std::vector<std::string> rejected;       // "step-N: reason" for newer ones that were skipped
};
CheckpointSearch load_newest_checkpoint(const std::string& checkpoints_dir);

}  // namespace sprout::backend
