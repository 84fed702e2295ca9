// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss/loss_fit.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace sprout::planner {
namespace {

constexpr double kWorstError = std::numeric_limits<double>::infinity();

// Weighted least squares y ~ X c with c >= 0, for up to three columns, from
// the normal equations (G = X'WX, r = X'Wy, yy = y'Wy). The non-negative
// optimum is the unconstrained optimum on some subset of the columns, so
// trying every subset and keeping the best feasible one is exact.
struct NonNegativeFit {
  Eigen::Vector3d coefficients = Eigen::Vector3d::Zero();
  double sse = kWorstError;
};

NonNegativeFit non_negative_least_squares(const Eigen::Matrix3d& gram, const Eigen::Vector3d& xty, double yty,
                                          int columns) {
  NonNegativeFit best;
  for (int subset = 1; subset < (1 << columns); ++subset) {
    std::vector<int> idx;
    for (int j = 0; j < columns; ++j) {
      if (subset & (1 << j)) idx.push_back(j);
    }
    const int k = static_cast<int>(idx.size());
    Eigen::MatrixXd g(k, k);
    Eigen::VectorXd r(k);
    for (int i = 0; i < k; ++i) {
      r(i) = xty(idx[i]);
      for (int j = 0; j < k; ++j) g(i, j) = gram(idx[i], idx[j]);
    }
    const Eigen::VectorXd c = g.colPivHouseholderQr().solve(r);
    if (!c.allFinite() || (c.array() < 0).any()) continue;
    // Residual sum of squares from the normal equations: y'y - 2 c'r + c'Gc.
    const double sse = std::max(0.0, yty - 2 * c.dot(r) + c.dot(g * c));
    if (sse < best.sse) {
      best.sse = sse;
      best.coefficients.setZero();
      for (int i = 0; i < k; ++i) best.coefficients(idx[i]) = c(i);
    }
  }
  return best;
}

// Minimises `sse_at(x, y)` over a grid on [lo, hi]^dims (dims 1 or 2), then
// twice more on a 10x finer grid around the best point so far.
template <typename SseAt>
std::pair<double, double> grid_minimise(SseAt sse_at, double lo, double hi, int cells, int dims) {
  double step = (hi - lo) / cells;
  double x0 = lo, y0 = lo;  // corner of the current grid
  int n = cells;
  double best = kWorstError, best_x = lo, best_y = lo;
  for (int level = 0; level < 3; ++level) {
    for (int i = 0; i <= n; ++i) {
      const double x = x0 + i * step;
      if (x < lo || x > hi) continue;
      for (int j = 0; j <= (dims == 2 ? n : 0); ++j) {
        const double y = dims == 2 ? y0 + j * step : lo;
        if (y < lo || y > hi) continue;
        const double sse = sse_at(x, y);
        if (sse < best) {
          best = sse;
          best_x = x;
          best_y = y;
        }
      }
    }
    x0 = best_x - step;
    y0 = best_y - step;
    step /= 10;
    n = 20;
  }
  return {best_x, best_y};
}

}  // namespace

double PowerLawFit::operator()(double x) const { return a * std::pow(x, b) + c; }

PowerLawFit fit_power_law(const std::vector<double>& xs, const std::vector<double>& losses) {
  if (xs.size() != losses.size() || xs.size() < 3 || std::set<double>(xs.begin(), xs.end()).size() < 2) {
    throw std::invalid_argument("a power-law fit needs 3 or more points at 2 or more sizes");
  }
  const size_t n = xs.size();
  std::vector<double> log_x(n);
  for (size_t i = 0; i < n; ++i) log_x[i] = std::log(xs[i]);
  double yty = 0;
  for (double y : losses) yty += y * y;
  // Columns [x^-p, 1]; p = -b searched in (0, 2].
  auto solve = [&](double p) {
    Eigen::Matrix3d g = Eigen::Matrix3d::Zero();
    Eigen::Vector3d r = Eigen::Vector3d::Zero();
    for (size_t i = 0; i < n; ++i) {
      const double u = std::exp(-p * log_x[i]);
      g(0, 0) += u * u;
      g(0, 1) += u;
      g(1, 1) += 1;
      r(0) += u * losses[i];
      r(1) += losses[i];
    }
    g(1, 0) = g(0, 1);
    return non_negative_least_squares(g, r, yty, 2);
  };
  const double p = grid_minimise([&](double x, double) { return solve(x).sse; }, 1e-3, 2.0, 400, 1).first;
  const NonNegativeFit best = solve(p);
  PowerLawFit fit{best.coefficients(0), -p, best.coefficients(1), std::sqrt(best.sse / n)};
  return fit;
}

ScalingLawFit fit_scaling_law(const std::vector<LossPoint>& points) {
  std::set<double> sizes, token_counts;
  for (const LossPoint& p : points) {
    if (!(p.params > 0) || !(p.tokens > 0) || !std::isfinite(p.loss) || !(p.weight > 0)) {
      throw std::invalid_argument("loss points need positive params, tokens, weight and a finite loss");
    }
    sizes.insert(p.params);
    token_counts.insert(p.tokens);
  }
  if (points.size() < 5 || sizes.size() < 2 || token_counts.size() < 2) {
    throw std::invalid_argument("fitting L(N, D) needs 5 or more points at 2 or more model sizes and token counts");
  }
  const size_t n = points.size();
  std::vector<double> log_n(n), log_d(n);
  double yty = 0, weight_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    log_n[i] = std::log(points[i].params);
    log_d[i] = std::log(points[i].tokens);
    yty += points[i].weight * points[i].loss * points[i].loss;
    weight_sum += points[i].weight;
  }
  // Columns [1, N^-alpha, D^-beta] with weights; exponents in (0, 2].
  auto solve = [&](double alpha, double beta) {
    Eigen::Matrix3d g = Eigen::Matrix3d::Zero();
    Eigen::Vector3d r = Eigen::Vector3d::Zero();
    for (size_t i = 0; i < n; ++i) {
      const double w = points[i].weight, y = points[i].loss;
      const double u = std::exp(-alpha * log_n[i]), v = std::exp(-beta * log_d[i]);
      g(0, 0) += w;
      g(0, 1) += w * u;
      g(0, 2) += w * v;
      g(1, 1) += w * u * u;
      g(1, 2) += w * u * v;
      g(2, 2) += w * v * v;
      r(0) += w * y;
      r(1) += w * u * y;
      r(2) += w * v * y;
    }
    g(1, 0) = g(0, 1);
    g(2, 0) = g(0, 2);
    g(2, 1) = g(1, 2);
    return non_negative_least_squares(g, r, yty, 3);
  };
  const auto [alpha, beta] = grid_minimise([&](double a, double b) { return solve(a, b).sse; }, 1e-3, 2.0, 100, 2);
  const NonNegativeFit best = solve(alpha, beta);
  ScalingLawFit fit;
  fit.e = best.coefficients(0);
  fit.a = best.coefficients(1);
  fit.b = best.coefficients(2);
  fit.alpha = alpha;
  fit.beta = beta;
  fit.rmse = std::sqrt(best.sse / weight_sum);
  fit.points = static_cast<long long>(n);
  return fit;
}

GrowthEfficiencyFit fit_growth_token_efficiency(const LossModel& model, const std::vector<GrowthLossPoint>& points) {
  if (points.empty()) throw std::invalid_argument("no post-growth loss points to calibrate on");
  auto sse_at = [&](double log_eta) {
    LossModel m = model;
    m.growth_token_efficiency = std::exp(log_eta);
    double sse = 0;
    for (const GrowthLossPoint& p : points) {
      const double r = predict_loss_at(m, p.stages, p.stages.size() - 1, p.stages.back().tokens) - p.loss;
      sse += r * r;
    }
    return sse;
  };
  const double lo = std::log(0.01), hi = std::log(10.0);
  const double log_eta = grid_minimise([&](double x, double) { return sse_at(x); }, lo, hi, 200, 1).first;
  GrowthEfficiencyFit fit;
  fit.token_efficiency = std::exp(log_eta);
  fit.points = static_cast<long long>(points.size());
  fit.rmse = std::sqrt(sse_at(log_eta) / static_cast<double>(points.size()));
  return fit;
}

}  // namespace sprout::planner
