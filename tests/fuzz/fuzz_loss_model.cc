// SPDX-License-Identifier: GPL-3.0-or-later
// A loss-model file (`sprout fit-loss` writes it, `--loss-model` reads it).
#include "fuzz_support.h"
#include "sprout/planner/io/loss_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sprout::fuzz::expect_only_input_errors([&] {
    (void)sprout::planner::load_loss_model_from_string(std::string(sprout::fuzz::bytes_of(data, size)),
                                                       "fuzz-loss-model.yaml");
  });
}
