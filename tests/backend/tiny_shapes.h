// SPDX-License-Identifier: GPL-3.0-or-later
// Small model shapes for the backend unit tests (milliseconds per forward).
#pragma once

#include "sprout/planner/model/model_shape.h"

namespace sprout::backend::test {

inline planner::ModelShape tiny_shape(int layers, int hidden, int heads, int ffn = 0,
                                      planner::Activation act = planner::Activation::kGelu, int kv_heads = 0) {
  planner::ModelShape s;
  s.layers = layers;
  s.hidden = hidden;
  s.heads = heads;
  s.kv_heads = kv_heads > 0 ? kv_heads : heads;
  s.ffn_hidden = ffn > 0 ? ffn : planner::default_ffn_hidden(hidden, act);
  s.vocab = 37;
  s.seq_len = 12;
  s.activation = act;
  return s;
}

}  // namespace sprout::backend::test
