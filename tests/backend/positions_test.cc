// SPDX-License-Identifier: GPL-3.0-or-later
// Rotary and xPos (model/positions.h): attention scores depend only on the
// relative position, xPos equals the paper's formula written out here by
// hand (complex pairs, Sun et al. 2022, arXiv 2212.10554, with torchscale's
// centred scale positions), and the tables are computed once.
#include "model/positions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "model/gpt_model.h"

namespace sprout::backend {
namespace {

using planner::PositionEmbedding;

constexpr int64_t kT = 7, kD = 8;

torch::Tensor random(at::IntArrayRef sizes, uint64_t seed) {
  at::Generator gen = make_cpu_generator(seed);
  return torch::randn(sizes, gen, torch::TensorOptions().dtype(torch::kFloat64));
}

// Scores q_m . k_n of rotated queries and keys [T, T], when every position
// holds the same query q0 and the same key k0.
torch::Tensor scores_of_repeated_vectors(PositionEmbedding kind) {
  const torch::Tensor q = random({1, 1, 1, kD}, 1).expand({1, 1, kT, kD}).contiguous();
  const torch::Tensor k = random({1, 1, 1, kD}, 2).expand({1, 1, kT, kD}).contiguous();
  const auto [rq, rk] = apply_positions(kind, q, k);
  return at::matmul(rq, rk.transpose(-2, -1))[0][0];
}

TEST(Positions, ScoresDependOnlyOnTheRelativePosition) {
  for (PositionEmbedding kind : {PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
    SCOPED_TRACE(planner::to_string(kind));
    const torch::Tensor s = scores_of_repeated_vectors(kind);
    for (int64_t shift = 1; shift < kT; ++shift) {
      for (int64_t m = 0; m + shift < kT; ++m) {
        for (int64_t n = 0; n + shift < kT; ++n) {
          EXPECT_NEAR(s[m][n].item<double>(), s[m + shift][n + shift].item<double>(), 1e-12)
              << "(" << m << ", " << n << ") shifted by " << shift;
        }
      }
    }
    // Not trivially so: the score changes with the distance.
    EXPECT_GT(std::abs(s[3][0].item<double>() - s[3][2].item<double>()), 1e-3);
  }
  // Learned positions: queries and keys pass unchanged.
  const torch::Tensor q = random({1, 2, kT, kD}, 3);
  EXPECT_TRUE(torch::equal(apply_positions(PositionEmbedding::kLearned, q, q).first, q));
}

// The xPos of one vector at position n of T, by hand: pair i (our layout:
// dimensions i and i + d/2) as the complex number x_i + i x_{i+d/2}, turned
// by n theta_i, theta_i = 10000^(-2i/d) (RoPE eq. 15), and scaled by
// zeta_i^(sign (n - ceil(T/2)) / 512), zeta_i = (2i + 0.4 d) / (1.4 d).
std::vector<std::complex<double>> xpos_by_hand(const torch::Tensor& x, int64_t n, int sign) {
  std::vector<std::complex<double>> out;
  for (int64_t i = 0; i < kD / 2; ++i) {
    const double theta = std::pow(10000.0, -2.0 * static_cast<double>(i) / kD);
    const double zeta = (2.0 * static_cast<double>(i) + 0.4 * kD) / (1.4 * kD);
    const double centred = static_cast<double>(n) - std::ceil(kT / 2.0);
    const std::complex<double> pair(x[i].item<double>(), x[i + kD / 2].item<double>());
    out.push_back(pair * std::polar(1.0, static_cast<double>(n) * theta) * std::pow(zeta, sign * centred / 512.0));
  }
  return out;
}

TEST(Positions, XposMatchesThePapersFormulaWrittenByHand) {
  const torch::Tensor q = random({1, 1, kT, kD}, 4), k = random({1, 1, kT, kD}, 5);
  const auto [rq, rk] = apply_positions(PositionEmbedding::kXpos, q, k);
  for (int64_t n = 0; n < kT; ++n) {
    const auto want_q = xpos_by_hand(q[0][0][n], n, +1);
    const auto want_k = xpos_by_hand(k[0][0][n], n, -1);
    for (int64_t i = 0; i < kD / 2; ++i) {
      EXPECT_NEAR(rq[0][0][n][i].item<double>(), want_q[i].real(), 1e-12) << n << " " << i;
      EXPECT_NEAR(rq[0][0][n][i + kD / 2].item<double>(), want_q[i].imag(), 1e-12) << n << " " << i;
      EXPECT_NEAR(rk[0][0][n][i].item<double>(), want_k[i].real(), 1e-12) << n << " " << i;
      EXPECT_NEAR(rk[0][0][n][i + kD / 2].item<double>(), want_k[i].imag(), 1e-12) << n << " " << i;
    }
  }
  // The score of query m and key n, as the paper writes it with absolute
  // positions (no centring: it cancels): sum_i Re[q_i conj(k_i) e^{i (m - n) theta_i}] zeta_i^((m - n) / 512).
  const torch::Tensor scores = at::matmul(rq, rk.transpose(-2, -1))[0][0];
  for (int64_t m = 0; m < kT; ++m) {
    for (int64_t n = 0; n < kT; ++n) {
      double want = 0;
      for (int64_t i = 0; i < kD / 2; ++i) {
        const double theta = std::pow(10000.0, -2.0 * static_cast<double>(i) / kD);
        const double zeta = (2.0 * static_cast<double>(i) + 0.4 * kD) / (1.4 * kD);
        const std::complex<double> qi(q[0][0][m][i].item<double>(), q[0][0][m][i + kD / 2].item<double>());
        const std::complex<double> ki(k[0][0][n][i].item<double>(), k[0][0][n][i + kD / 2].item<double>());
        want += (qi * std::conj(ki) * std::polar(1.0, static_cast<double>(m - n) * theta)).real() *
                std::pow(zeta, static_cast<double>(m - n) / 512.0);
      }
      EXPECT_NEAR(scores[m][n].item<double>(), want, 1e-12) << m << " " << n;
    }
  }
}

TEST(Positions, RotaryIsXposWithoutTheScale) {
  const torch::Tensor q = random({2, 3, kT, kD}, 6);
  const auto rotary = apply_positions(PositionEmbedding::kRotary, q, q);
  EXPECT_TRUE(torch::allclose(rotary.first, rotary.second, 0, 0));  // queries and keys alike
  // Norms are kept: a rotation.
  EXPECT_TRUE(torch::allclose(rotary.first.norm(2, -1), q.norm(2, -1), 1e-12, 1e-12));
  const auto xpos = apply_positions(PositionEmbedding::kXpos, q, q);
  EXPECT_FALSE(torch::allclose(xpos.first, rotary.first, 1e-6, 1e-6));
}

TEST(Positions, TablesAreComputedOncePerShapeDeviceAndType) {
  const RotaryTables a = rotary_tables(PositionEmbedding::kXpos, 16, 8, torch::kCPU, torch::kFloat32);
  const RotaryTables b = rotary_tables(PositionEmbedding::kXpos, 16, 8, torch::kCPU, torch::kFloat32);
  EXPECT_EQ(a.query_cos.data_ptr(), b.query_cos.data_ptr());
  EXPECT_EQ(a.query_cos.scalar_type(), torch::kFloat32);
  EXPECT_EQ(a.query_cos.sizes(), (std::vector<int64_t>{16, 8}));
  const RotaryTables other = rotary_tables(PositionEmbedding::kXpos, 16, 8, torch::kCPU, torch::kFloat64);
  EXPECT_NE(other.query_cos.data_ptr(), a.query_cos.data_ptr());
  EXPECT_THROW(rotary_tables(PositionEmbedding::kRotary, 16, 7, torch::kCPU, torch::kFloat32), std::invalid_argument);
}

}  // namespace
}  // namespace sprout::backend
