// SPDX-License-Identifier: GPL-3.0-or-later
// One line of RUN_DIR/telemetry.jsonl (docs/formats.md "Run directory",
// every field in docs/backend.md "Run directory"): sprout-train writes its
// records only through telemetry_to_json, and `sprout compare`, `sprout
// fit-loss` and the simulator's pipeline-bubble check read them only through
// telemetry_from_json, so the format has this one home. No LibTorch.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/runs/json_field_reader.h"
#include "sprout/planner/runs/run_provenance.h"

namespace sprout::planner {

// `pipeline` of a step record of a pipelined stage: what
// simulator::check_pipeline_bubbles replays (averaged over the steps since
// the last record).
struct PipelineTelemetry {
  std::string schedule;                       // "1F1B" | "interleaved 1F1B"
  int stages = 1;                             // pipeline ranks p
  int chunks = 1;                             // model chunks per rank v
  int micro_batches = 1;                      // m
  std::vector<double> forward_s, backward_s;  // per virtual stage: the mean op time
  double p2p_s = 0;                           // one-way activation transfer, measured at the stage's start
  double bubble_fraction = 0;
  // Every op's time (p v m of them), logged up to a size limit: own forward
  // and backward time, and the p2p calls after each.
  std::optional<std::vector<double>> forward_op_s, backward_op_s, forward_p2p_op_s, backward_p2p_op_s;
};

// `spike` of a "spike" event (sprout-train's training.spike): the step whose
// loss exceeded the running mean by z standard deviations and what was done.
struct SpikeTelemetry {
  long long step = 0;  // the step whose loss spiked
  double loss = 0;
  double mean = 0, std = 0;  // of the window of earlier steps' losses
  double z = 0;              // (loss - mean) / std; null in JSON for a non-finite loss
  std::string action;        // "skip" (update not applied) | "rollback" (restored, data moved past the batch)
};

// Absent optional fields are not written. Every record kind is this one
// struct: a training step (event ""), "eval", "grow", "checkpoint", "resume",
// "spike".
struct TelemetryRecord {
  std::string time;    // ISO-8601 UTC with milliseconds; "" when not logged
  long long step = 0;  // global optimizer step
  // sprout-train writes the stage's name; other loggers may give its 0-based index.
  std::variant<std::string, long long> stage;
  std::optional<long long> stage_index;
  int rank_count = 0;                 // processes that trained; 0 when not logged (a reader takes 1)
  double tokens = 0;                  // trained since the run started
  std::optional<double> model_flops;  // cumulative
  std::optional<double> energy_j;     // cumulative
  std::string energy_source;          // nvml | rapl | model; "" when not logged
  std::string event;                  // "" for a training step

  // Training steps (averaged over the steps since the last record where timed).
  std::optional<double> loss;  // required in a training-step record
  std::optional<double> lr;
  std::optional<double> grad_norm;  // before clipping
  std::optional<double> tokens_per_s;
  std::optional<double> tflops_per_gpu;
  std::optional<double> compute_s, wait_s, reduce_s, optimizer_s;  // rank 0's step time split
  // Data parallelism: rank 0's gradient communication after its backward
  // ended (not hidden behind it by overlap_grad_reduce), seconds per step.
  std::optional<double> exposed_comm_s;
  std::optional<double> mask;  // during an MSG ramp
  std::optional<PipelineTelemetry> pipeline;
  std::optional<Recompute> recompute;  // what the backward passes recomputed
  // Rank 0's device memory (tensors; CPU: LibTorch's allocator), in bytes:
  // the most held by one step's forward and backward passes above what the
  // step held before them (the largest of the steps since the last record)...
  std::optional<long long> activation_peak_bytes;
  // ...and the most held since the previous record (also on grow records:
  // the growth's own peak).
  std::optional<long long> peak_memory_bytes;

  std::optional<double> val_loss;  // eval

  // grow
  std::optional<ModelShape> from, to;
  std::optional<long long> grow_steps;
  std::optional<double> val_loss_before, val_loss_after, train_loss_before;

  std::optional<std::string> path;  // checkpoint: its directory; spike with rollback: the checkpoint restored

  std::optional<SpikeTelemetry> spike;
  std::optional<RunProvenance> provenance;  // the first record sprout-train logs (per start or resume)

  // resume: the checkpoint bytes each rank read (index: rank), CRC checks included.
  std::optional<std::vector<double>> resume_bytes_read;
  // grow: each rank's peak memory during the growth (index: rank).
  std::optional<std::vector<double>> rank_peak_memory_bytes;
  // eval at a stage's end: each rank's largest step peak in the stage (its
  // first step aside: that window still holds what the stage's start left).
  std::optional<std::vector<double>> rank_steady_memory_bytes;
};

nlohmann::json telemetry_to_json(const TelemetryRecord& record);

// Reads one parsed line. Keys it does not know are ignored; a wrong type or
// value throws InputError at `where` (the line) naming `telemetry.<field>`.
// A null value counts as absent (a NaN written by nlohmann::json).
TelemetryRecord telemetry_from_json(const nlohmann::json& line, const SourceLocation& where);

// The model shape as checkpoints' state.json and grow records write it
// (position_embedding and norm only when not learned / layernorm).
nlohmann::json model_shape_to_json(const ModelShape& shape);
// Throws std::invalid_argument naming a missing or wrong field (every size
// a positive int).
ModelShape model_shape_from_json(const nlohmann::json& j);
// The same from a reader's object: an InputError naming the reader's file
// and `<prefix><field>`.
ModelShape model_shape_from_json(const JsonFieldReader& r);

}  // namespace sprout::planner
