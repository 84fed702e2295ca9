// SPDX-License-Identifier: GPL-3.0-or-later
// Every key of the plan file (docs/formats.md "Plan") with what the planner
// and sprout-train do with it: no key is silently ignored. The table in
// docs/backend.md ("Plan keys") is this list; tests/planner/plan_schema_test.cc
// fails when plan_loader.cc reads a key that is not here.
#pragma once

#include <string>
#include <vector>

namespace sprout::planner {

// What sprout-train does with a key.
enum class TrainerUse {
  kHonoured,     // the run follows it (losses, steps, telemetry, summary or files change)
  kRefused,      // honoured where the trainer can; other values exit 2 at start with file:line:col
  kPlannerOnly,  // only the cost models read it; documented as such, the trainer does not use it
};

struct PlanSchemaKey {
  // "name", "training.seed", "stages[].parallel.tp"; shape keys that model:
  // may default for every stage are listed once as "stages[].<key>".
  std::string path;
  std::string example;  // a valid YAML value that differs from the default
  TrainerUse trainer_use = TrainerUse::kHonoured;
  std::string planner;         // what the planner does with it
  std::string trainer;         // what sprout-train does with it
  bool model_default = false;  // may also be given under model:
};

const std::vector<PlanSchemaKey>& plan_schema_keys();

const char* to_string(TrainerUse use);

}  // namespace sprout::planner
