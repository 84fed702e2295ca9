// SPDX-License-Identifier: GPL-3.0-or-later
// summary.json of a run directory (the recorded telemetry beside it).
#include "fuzz_support.h"
#include "run_directory.h"
#include "sprout/planner/runs/run_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sprout::fuzz::RunDirectory run;
  run.put("summary.json", sprout::fuzz::bytes_of(data, size));
  return sprout::fuzz::expect_only_input_errors([&] { (void)sprout::planner::read_run(run.path()); });
}
