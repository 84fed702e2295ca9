// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/checkpoint_state.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/runs/json_field_reader.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {
namespace {

// 2: dropout masks derived per micro-batch (no generator state); optimizer
// moments may live in per-rank shard files.
constexpr int kStateFormat = 2;

using planner::JsonFieldReader;

double loss_or_nan(const JsonFieldReader& r, const char* field) {
  return r.optional_number(field).value_or(std::numeric_limits<double>::quiet_NaN());
}

StageRecord stage_from_json(const JsonFieldReader& r) {
  StageRecord s;
  s.name = r.required_text("name");
  s.steps = r.count("steps");
  s.tokens = r.number("tokens");
  s.wall_seconds = r.number("wall_seconds");
  s.energy_j = r.number("energy_j");
  s.model_flops = r.number("model_flops");
  s.final_train_loss = loss_or_nan(r, "final_train_loss");
  s.final_val_loss = loss_or_nan(r, "final_val_loss");
  s.done = r.boolean("done");
  return s;
}

const nlohmann::json& object_field(const JsonFieldReader& r, const nlohmann::json& j, const char* field) {
  if (!r.has(field)) r.fail(field, "missing");
  if (!j[field].is_object()) r.fail(field, "expected a JSON object");
  return j[field];
}

// The sizes a GPT of this shape splits by: heads into the width, query heads into groups.
planner::ModelShape shape_from_json(const JsonFieldReader& r, const nlohmann::json& j, const char* field) {
  const JsonFieldReader shape_reader = r.nested(object_field(r, j, field), field);
  planner::ModelShape s = planner::model_shape_from_json(shape_reader);
  if (s.hidden % s.heads != 0) shape_reader.fail("heads", "does not divide hidden");
  if (s.heads % s.kv_heads != 0) shape_reader.fail("kv_heads", "does not divide heads");
  return s;
}

std::vector<StageRecord> stages_from_json(const JsonFieldReader& r, const nlohmann::json& j) {
  if (!r.has("stages") || !j["stages"].is_array() || j["stages"].empty()) {
    r.fail("stages", "expected a non-empty array of stage records");
  }
  std::vector<StageRecord> out;
  for (size_t i = 0; i < j["stages"].size(); ++i) {
    const nlohmann::json& s = j["stages"][i];
    const std::string field = "stages[" + std::to_string(i) + "]";
    if (!s.is_object()) r.fail(field, "expected a JSON object");
    out.push_back(stage_from_json(r.nested(s, field)));
  }
  return out;
}

RunCounters counters_from_json(const JsonFieldReader& r, const nlohmann::json& j) {
  RunCounters c;
  c.plan_fingerprint = r.required_text("plan_fingerprint");
  c.stages = stages_from_json(r, j);
  c.global_step = r.count("global_step");
  // The number of stages once the last one is done (a finished run's last checkpoint).
  c.stage_index = static_cast<size_t>(r.count("stage_index", 0, static_cast<double>(c.stages.size())));
  c.step_in_stage = r.count("step_in_stage", 0, static_cast<double>(c.global_step));
  c.sequences_consumed = r.count("sequences_consumed");
  c.tokens = r.number("tokens");
  c.model_flops = r.number("model_flops");
  c.energy_j = r.number("energy_j");
  c.last_train_loss = loss_or_nan(r, "last_train_loss");
  if (r.has("recent_losses")) c.recent_losses = r.numbers("recent_losses");
  return c;
}

CheckpointState::Ramp ramp_from_json(const JsonFieldReader& r, const nlohmann::json& j, const planner::ModelShape& to) {
  CheckpointState::Ramp ramp;
  ramp.from = shape_from_json(r, j, "from");
  ramp.grow_steps = r.count("grow_steps", 1);
  ramp.steps_done = r.count("steps_done", 0, static_cast<double>(ramp.grow_steps));
  ramp.new_layer = r.booleans("new_layer");
  if (ramp.new_layer.size() != static_cast<size_t>(to.layers)) {
    r.fail("new_layer", "has " + std::to_string(ramp.new_layer.size()) + " entries for a model of " +
                            std::to_string(to.layers) + " layers");
  }
  return ramp;
}

planner::SourceLocation location_of_byte(std::string_view text, size_t byte, const std::string& path) {
  const std::string_view before = text.substr(0, std::min(byte, text.size()));
  const size_t line_start = before.rfind('\n');
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const size_t column = line_start == std::string_view::npos ? before.size() : before.size() - line_start - 1;
  return {path, static_cast<int>(std::min<long>(line, std::numeric_limits<int>::max())),
          static_cast<int>(std::min<size_t>(column + 1, std::numeric_limits<int>::max()))};
}

}  // namespace

nlohmann::json checkpoint_state_to_json(const CheckpointState& st) {
  const RunCounters& c = st.counters;
  nlohmann::json j;
  j["format"] = kStateFormat;
  j["plan_fingerprint"] = c.plan_fingerprint;
  j["global_step"] = c.global_step;
  j["stage_index"] = c.stage_index;
  j["step_in_stage"] = c.step_in_stage;
  j["sequences_consumed"] = c.sequences_consumed;
  j["tokens"] = c.tokens;
  j["model_flops"] = c.model_flops;
  j["energy_j"] = c.energy_j;
  j["last_train_loss"] = number_or_null(c.last_train_loss);
  if (!c.recent_losses.empty()) j["recent_losses"] = c.recent_losses;
  j["shape"] = planner::model_shape_to_json(st.shape);
  j["init_std"] = st.init_std;
  j["dropout"] = st.dropout;
  j["adam_step"] = st.adam_step;
  if (st.ramp) {
    j["ramp"] = {{"from", planner::model_shape_to_json(st.ramp->from)},
                 {"grow_steps", st.ramp->grow_steps},
                 {"steps_done", st.ramp->steps_done},
                 {"new_layer", st.ramp->new_layer}};
  }
  for (const auto& r : c.stages) {
    nlohmann::json s = stage_record_json(r, 1);
    s["energy_j"] = r.energy_j;
    j["stages"].push_back(s);
  }
  return j;
}

CheckpointState parse_checkpoint_state(std::string_view text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw planner::InputError(location_of_byte(text, e.byte == 0 ? 0 : e.byte - 1, path), "state", "not valid JSON");
  } catch (const nlohmann::json::exception&) {
    // out_of_range.406: a number beyond double's range.
    throw planner::InputError({path, 0, 0}, "state", "not valid JSON: a number out of range");
  }
  if (!j.is_object()) throw planner::InputError({path, 1, 1}, "state", "expected a JSON object");
  const JsonFieldReader r(j, {path, 0, 0}, "state.");
  const long long format = r.count("format");
  if (format != kStateFormat) {
    r.fail("format", std::to_string(format) + " is not " + std::to_string(kStateFormat) +
                         " (written by another sprout-train version)");
  }
  CheckpointState st;
  st.counters = counters_from_json(r, j);
  st.shape = shape_from_json(r, j, "shape");
  st.init_std = r.number("init_std");
  st.dropout = r.number("dropout");
  if (st.dropout >= 1) r.fail("dropout", "is not below 1");
  st.adam_step = r.count("adam_step");
  if (r.has("ramp")) st.ramp = ramp_from_json(r.nested(object_field(r, j, "ramp"), "ramp"), j["ramp"], st.shape);
  return st;
}

}  // namespace sprout::backend
