// SPDX-License-Identifier: GPL-3.0-or-later
// The plan file (planner/io/plan_loader.h). A plan that loads is also
// estimated and written as JSON and YAML, as `sprout plan --format json` and
// the GUI do: a string the loader let through must not break the writers
// (nlohmann's type_error.316 for text that is not UTF-8 was such a case).
#include "fuzz_support.h"
#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/cost/estimate_json.h"
#include "sprout/planner/io/plan_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sprout::planner;
  return sprout::fuzz::expect_only_input_errors([&] {
    const Plan plan = load_plan_from_string(std::string(sprout::fuzz::bytes_of(data, size)), "fuzz-plan.yaml");
    (void)plan_to_yaml(plan);
    (void)to_json(estimate_plan(plan), plan).dump();
  });
}
