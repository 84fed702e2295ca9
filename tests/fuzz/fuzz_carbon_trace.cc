// SPDX-License-Identifier: GPL-3.0-or-later
// An hourly carbon-trace CSV (simulator/carbon), in both of its columns.
#include "fuzz_support.h"
#include "sprout/simulator/carbon/carbon_trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sprout::simulator;
  const std::string text(sprout::fuzz::bytes_of(data, size));
  return sprout::fuzz::expect_only_input_errors([&] {
    (void)parse_carbon_trace(text, "fuzz-trace.csv", size % 2 == 0 ? TraceColumn::kDirect : TraceColumn::kLifeCycle);
  });
}
