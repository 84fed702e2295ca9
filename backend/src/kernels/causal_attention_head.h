// SPDX-License-Identifier: GPL-3.0-or-later
// The per-head loops of the fused CPU causal attention
// (causal_attention_cpu.h): one (batch, head) at a time on raw fp32 rows,
// compiled apart with -O3 -ffast-math and one clone per x86 vector width
// (AVX-512, AVX2, baseline: GCC's target_clones picks at load time), so the
// loops vectorise, exp included (glibc's libmvec), without the rest of the
// trainer giving up strict floating point.
#pragma once

#include <cstdint>

namespace sprout::backend::kernels {

// `rows` rows of `size` contiguous floats, row i at data + i * stride.
struct Rows {
  const float* data = nullptr;
  int64_t stride = 0;
  const float* row(int64_t i) const { return data + i * stride; }
};
struct MutableRows {
  float* data = nullptr;
  int64_t stride = 0;
  float* row(int64_t i) const { return data + i * stride; }
};

// One head's shape and constants.
struct HeadShape {
  int64_t positions = 0;  // s
  int64_t size = 0;       // head size d
  float scale = 1;        // of q k^T
  float keep_scale = 1;   // 1 / (1 - dropout) for kept entries
};

// Forward: probs (s x s, row-major, zero above the diagonal) = the causal
// softmax of q k^T * scale; out = dropout(probs) v. `keep` (s x s, or null
// without dropout; 1 kept, 0 dropped).
struct HeadForward {
  Rows q, k, v;
  const float* keep = nullptr;
  float* probs = nullptr;
  MutableRows out;
};
// Floats of scratch either pass needs (per thread).
int64_t causal_head_scratch_floats(int64_t positions, int64_t size);

void causal_head_forward(const HeadForward& head, const HeadShape& shape, float* scratch);

// Backward from d_out and the saved probs; writes (overwrites) dq, dk, dv.
struct HeadBackward {
  Rows q, k, v, d_out;
  const float* keep = nullptr;
  const float* probs = nullptr;
  MutableRows dq, dk, dv;
};
void causal_head_backward(const HeadBackward& head, const HeadShape& shape, float* scratch);

}  // namespace sprout::backend::kernels
