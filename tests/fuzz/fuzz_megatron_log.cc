// SPDX-License-Identifier: GPL-3.0-or-later
// A Megatron-LM training log against the FLM-101B plan (`sprout compare
// --megatron-log`), read from a path only.
#include "fuzz_support.h"
#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/megatron_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sprout::planner;
  static const Plan plan = load_plan(std::string(SPROUT_SOURCE_DIR) + "/plans/flm-101b.yaml");
  static const PlanEstimate estimate = estimate_plan(plan);
  static sprout::fuzz::MemoryFile file;
  const std::string path = file.hold(sprout::fuzz::bytes_of(data, size));
  return sprout::fuzz::expect_only_input_errors([&] { (void)read_megatron_logs(plan, estimate, {path}); });
}
