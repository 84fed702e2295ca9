// SPDX-License-Identifier: GPL-3.0-or-later
// A checkpoint's state.json (checkpoint_state.h), parsed as a resume parses it
// once its CRC-32 matched DONE: any bytes either give a state whose counters
// and ramp are consistent, or an InputError naming `state.<field>`.
#include <cstdio>
#include <cstdlib>

#include "checkpoint/checkpoint_state.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return sprout::fuzz::expect_only_input_errors([&] {
    const sprout::backend::CheckpointState state =
        sprout::backend::parse_checkpoint_state(sprout::fuzz::bytes_of(data, size), "state.json");
    // What the trainer indexes with the values it reads back.
    const bool consistent = state.counters.stage_index <= state.counters.stages.size() &&
                            (!state.ramp || state.ramp->new_layer.size() == static_cast<size_t>(state.shape.layers));
    if (!consistent) {
      std::fprintf(stderr, "accepted a state whose stage index or ramp does not fit its stages or shape\n");
      std::abort();
    }
  });
}
