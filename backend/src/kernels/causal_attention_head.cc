// SPDX-License-Identifier: GPL-3.0-or-later
// Compiled with -O3 -ffast-math (backend/CMakeLists.txt): the loops below are
// written so that GCC vectorises their inner dimension and keeps the
// accumulators in registers (the head size is a compile-time constant for
// the common sizes); fast-math lets it vectorise the reductions (row max,
// row sums) and call glibc's vector expf. Nothing here meets an infinity or
// a NaN from the causal mask: the masked half is never computed.
#include "kernels/causal_attention_head.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

// One clone per x86-64 micro-architecture level, chosen at load time
// (AVX-512, AVX2 + FMA, SSE2).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SPROUT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SPROUT_VECTOR_CLONES
#endif
#define SPROUT_INLINE [[gnu::always_inline]] inline
#define SPROUT_LAMBDA_INLINE __attribute__((always_inline))

namespace sprout::backend::kernels {
namespace {

// Sixteen floats (one AVX-512 register, two AVX2, four SSE: GCC's vector
// extensions lower it to the clone's width). The loops over a head's size
// and over blocks of positions are written in these, so the vectoriser
// cannot pick the wrong loop (it gathered across rows otherwise).
using Vec = float __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;
SPROUT_INLINE Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
SPROUT_INLINE void store(float* p, const Vec& v) { std::memcpy(p, &v, sizeof v); }

// Positions are processed in blocks of kLanes; transposed rows are padded to
// a multiple of it with zeros.
int64_t padded(int64_t positions) { return (positions + kLanes - 1) / kLanes * kLanes; }

// out[j] = factor * sum_c a[c] * b_t[c * stride + j] for j < n (rounded up
// to a block; b_t's padding is zero): one row's dot products with the rows
// of a transposed matrix, a block of j held in a register over c.
SPROUT_INLINE void row_times_transposed(const float* a, const float* b_t, int64_t stride, int64_t n, int64_t size,
                                        float factor, float* out) {
  for (int64_t j0 = 0; j0 < n; j0 += kLanes) {
    Vec acc0 = {}, acc1 = {};  // two chains: the FMA latency
    int64_t c = 0;
    for (; c + 1 < size; c += 2) {
      acc0 += (a[c] * factor) * load(b_t + c * stride + j0);
      acc1 += (a[c + 1] * factor) * load(b_t + (c + 1) * stride + j0);
    }
    if (c < size) acc0 += (a[c] * factor) * load(b_t + c * stride + j0);
    store(out + j0, acc0 + acc1);
  }
}

// out = sum_{j < n} w[j] * rows.row(j), the head's size kVecs * kLanes,
// summed in registers (four chains of sums for one-register rows).
template <int kVecs>
SPROUT_INLINE void weighted_rows(const float* w, const Rows& rows, int64_t n, float* out) {
  constexpr int kChains = kVecs >= 4 ? 1 : 4 / kVecs;
  Vec acc[kChains][kVecs] = {};
  int64_t j = 0;
  for (; j + kChains <= n; j += kChains) {
    for (int r = 0; r < kChains; ++r) {
      const float* row = rows.row(j + r);
      for (int v = 0; v < kVecs; ++v) acc[r][v] += w[j + r] * load(row + v * kLanes);
    }
  }
  for (; j < n; ++j) {
    const float* row = rows.row(j);
    for (int v = 0; v < kVecs; ++v) acc[0][v] += w[j] * load(row + v * kLanes);
  }
  for (int v = 0; v < kVecs; ++v) {
    Vec sum = acc[0][v];
    for (int r = 1; r < kChains; ++r) sum += acc[r][v];
    store(out + v * kLanes, sum);
  }
}

// rows.row(j) += w[j] * x for j < n (x: kVecs * kLanes floats).
template <int kVecs>
SPROUT_INLINE void add_weighted(const float* w, const float* x_in, int64_t n, const MutableRows& rows) {
  Vec x[kVecs];
  for (int v = 0; v < kVecs; ++v) x[v] = load(x_in + v * kLanes);
  for (int64_t j = 0; j < n; ++j) {
    float* row = rows.row(j);
    for (int v = 0; v < kVecs; ++v) store(row + v * kLanes, load(row + v * kLanes) + w[j] * x[v]);
  }
}

// The same two for a head size that is not a multiple of kLanes.
SPROUT_INLINE void weighted_rows_any(const float* w, const Rows& rows, int64_t n, int64_t size, float* out) {
  std::fill(out, out + size, 0.0f);
  for (int64_t j = 0; j < n; ++j) {
    const float* row = rows.row(j);
    for (int64_t c = 0; c < size; ++c) out[c] += w[j] * row[c];
  }
}
SPROUT_INLINE void add_weighted_any(const float* w, const float* x, int64_t n, int64_t size, const MutableRows& rows) {
  for (int64_t j = 0; j < n; ++j) {
    float* row = rows.row(j);
    for (int64_t c = 0; c < size; ++c) row[c] += w[j] * x[c];
  }
}

// kVecs > 0: head size kVecs * kLanes; 0: any size (read at run time).
template <int kVecs>
SPROUT_INLINE void weighted_rows(const float* w, const Rows& rows, int64_t n, int64_t size, float* out) {
  if constexpr (kVecs > 0) {
    weighted_rows<kVecs>(w, rows, n, out);
  } else {
    weighted_rows_any(w, rows, n, size, out);
  }
}
template <int kVecs>
SPROUT_INLINE void add_weighted(const float* w, const float* x, int64_t n, int64_t size, const MutableRows& rows) {
  if constexpr (kVecs > 0) {
    add_weighted<kVecs>(w, x, n, rows);
  } else {
    add_weighted_any(w, x, n, size, rows);
  }
}

// rows (positions x size) transposed into t (size x padded(positions)).
SPROUT_INLINE void transpose_padded(const Rows& rows, int64_t positions, int64_t size, float* t) {
  const int64_t stride = padded(positions);
  for (int64_t c = 0; c < size; ++c) std::fill(t + c * stride + positions, t + (c + 1) * stride, 0.0f);
  for (int64_t j = 0; j < positions; ++j) {
    const float* r = rows.row(j);
    for (int64_t c = 0; c < size; ++c) t[c * stride + j] = r[c];
  }
}

template <int kVecs>
SPROUT_INLINE void forward(const HeadForward& head, const HeadShape& shape, float* scratch) {
  const int64_t s = shape.positions, d = shape.size, stride = padded(s);
  float* k_t = scratch;               // size x stride
  float* row = scratch + d * stride;  // stride
  transpose_padded(head.k, s, d, k_t);
  for (int64_t i = 0; i < s; ++i) {
    const int64_t n = i + 1;
    row_times_transposed(head.q.row(i), k_t, stride, n, d, shape.scale, row);
    float top = row[0];
    for (int64_t j = 1; j < n; ++j) top = std::max(top, row[j]);
    float sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      row[j] = expf(row[j] - top);
      sum += row[j];
    }
    const float inverse = 1.0f / sum;
    float* p = head.probs + i * s;
    for (int64_t j = 0; j < n; ++j) p[j] = row[j] * inverse;
    std::fill(p + n, p + s, 0.0f);
    const float* keep = head.keep ? head.keep + i * s : nullptr;
    if (keep) {
      for (int64_t j = 0; j < n; ++j) row[j] = p[j] * keep[j] * shape.keep_scale;
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] = p[j];
    }
    weighted_rows<kVecs>(row, head.v, n, d, head.out.row(i));
  }
}

template <int kVecs>
SPROUT_INLINE void backward(const HeadBackward& head, const HeadShape& shape, float* scratch) {
  const int64_t s = shape.positions, d = shape.size, stride = padded(s);
  float* v_t = scratch;                   // size x stride
  float* d_probs = scratch + d * stride;  // stride
  float* dropped = d_probs + stride;      // stride
  transpose_padded(head.v, s, d, v_t);
  for (int64_t j = 0; j < s; ++j) {
    std::fill(head.dk.row(j), head.dk.row(j) + d, 0.0f);
    std::fill(head.dv.row(j), head.dv.row(j) + d, 0.0f);
  }
  for (int64_t i = 0; i < s; ++i) {
    const int64_t n = i + 1;
    const float* p = head.probs + i * s;
    const float* d_out = head.d_out.row(i);
    row_times_transposed(d_out, v_t, stride, n, d, 1.0f, d_probs);  // dPd
    const float* keep = head.keep ? head.keep + i * s : nullptr;
    if (keep) {
      for (int64_t j = 0; j < n; ++j) {
        const float mask = keep[j] * shape.keep_scale;
        dropped[j] = p[j] * mask;
        d_probs[j] *= mask;
      }
    }
    add_weighted<kVecs>(keep ? dropped : p, d_out, n, d, head.dv);  // without dropout Pd = P
    float dot = 0;
    for (int64_t j = 0; j < n; ++j) dot += d_probs[j] * p[j];
    for (int64_t j = 0; j < n; ++j) d_probs[j] = p[j] * (d_probs[j] - dot) * shape.scale;
    weighted_rows<kVecs>(d_probs, head.k, n, d, head.dq.row(i));
    add_weighted<kVecs>(d_probs, head.q.row(i), n, d, head.dk);
  }
}

}  // namespace

int64_t causal_head_scratch_floats(int64_t positions, int64_t size) { return (size + 2) * padded(positions); }

// The head sizes of the models sprout plans (64 and 128 at scale, 16 and 32
// in the CPU plans) get their own code; others run the same loops with the
// size read at run time. `run(std::integral_constant<int, kVecs>)` with the
// size's count of vectors (0: any size), inlined into each caller's clone.
template <typename Run>
SPROUT_INLINE void with_head_vectors(int64_t size, const Run& run) {
  switch (size) {
    case 16:
      return run(std::integral_constant<int, 1>{});
    case 32:
      return run(std::integral_constant<int, 2>{});
    case 64:
      return run(std::integral_constant<int, 4>{});
    case 128:
      return run(std::integral_constant<int, 8>{});
    default:
      return run(std::integral_constant<int, 0>{});
  }
}

SPROUT_VECTOR_CLONES
void causal_head_forward(const HeadForward& head, const HeadShape& shape, float* scratch) {
  with_head_vectors(shape.size, [&](auto vecs) SPROUT_LAMBDA_INLINE { forward<vecs()>(head, shape, scratch); });
}

SPROUT_VECTOR_CLONES
void causal_head_backward(const HeadBackward& head, const HeadShape& shape, float* scratch) {
  with_head_vectors(shape.size, [&](auto vecs) SPROUT_LAMBDA_INLINE { backward<vecs()>(head, shape, scratch); });
}

}  // namespace sprout::backend::kernels
