// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/stage_template.h"

#include <cmath>

namespace sprout::planner {

double learning_rate_for(double params) {
  // lr = 4e-4 (N / 16.5e9)^k with k = ln(2e-4 / 4e-4) / ln(101.7 / 16.5).
  constexpr double kFirstParams = 16.5e9, kFirstLr = 4e-4;
  constexpr double kLastParams = 101.7e9, kLastLr = 2e-4;
  const double k = std::log(kLastLr / kFirstLr) / std::log(kLastParams / kFirstParams);
  return kFirstLr * std::pow(params / kFirstParams, k);
}

StageTemplate stage_template_from(const Stage& st) {
  StageTemplate t;
  t.vocab = st.shape.vocab;
  t.seq_len = st.shape.seq_len;
  t.activation = st.shape.activation;
  t.position = st.shape.position;
  t.tied_embeddings = st.shape.tied_embeddings;
  t.norm = st.shape.norm;
  t.global_batch_tokens = st.global_batch_tokens;
  t.dropout = st.dropout;
  t.attention = st.attention;
  if (st.grow) t.grow_steps = st.grow->grow_steps;
  t.warmup_fraction = st.warmup_fraction;
  return t;
}

Stage make_stage(const StageTemplate& t, const ModelShape& shape, double tokens) {
  Stage st;
  st.shape = shape;
  st.tokens = tokens;
  st.global_batch_tokens = t.global_batch_tokens;
  st.lr = learning_rate_for(parameter_count(shape));
  st.warmup_fraction = t.warmup_fraction;
  st.dropout = t.dropout;
  st.attention = t.attention;
  return st;
}

}  // namespace sprout::planner
