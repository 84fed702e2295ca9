// SPDX-License-Identifier: GPL-3.0-or-later
// A pipeline iteration with uniform stages and no communication, shared by the
// simulator's schedule and graph tests.
#pragma once

#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator::test_support {

// Forward 1 s and backward 2 s per rank, split evenly over its v chunks
// (p pipeline stages, m micro-batches), nothing else.
inline IterationInputs uniform(int p, int m, int v) {
  IterationInputs in;
  in.pipeline_stages = p;
  in.micro.micro_batches = m;
  in.micro.chunks_per_stage = v;
  in.micro.forward_s = 1.0 / v;
  in.micro.backward_s = 2.0 / v;
  return in;
}

}  // namespace sprout::simulator::test_support
