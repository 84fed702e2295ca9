// SPDX-License-Identifier: GPL-3.0-or-later
// Least-squares fits of loss laws to measured losses.
//
// Both laws are linear in their coefficients once the exponents are fixed, so
// the fits use variable projection (Golub and Pereyra 1973): a grid over the
// exponents, refined around the best cell, with the coefficients of each cell
// from a non-negative linear least-squares solve. Unlike a local optimiser
// started from a guess (Hoffmann et al. 2022 ran L-BFGS from a grid of
// starts), this cannot stop in a poor local minimum of the exponents.
#pragma once

#include <vector>

#include "sprout/planner/loss/growth_loss.h"
#include "sprout/planner/loss/loss_model.h"

namespace sprout::planner {

// L(N) = a N^b + c, FLM-101B's muScaling fit over proxy widths (arXiv
// 2309.03852; Yao and Wang 2023, arXiv 2304.06875); b < 0 and a, c >= 0.
struct PowerLawFit {
  double a = 0, b = 0, c = 0;
  double rmse = 0;
  double operator()(double x) const;
};
// Needs at least 3 points at 2 or more distinct x; throws std::invalid_argument otherwise.
PowerLawFit fit_power_law(const std::vector<double>& xs, const std::vector<double>& losses);

// One measured loss of a model trained from scratch.
struct LossPoint {
  double params = 0;
  double tokens = 0;
  double loss = 0;
  double weight = 1;  // relative weight in the squared error
};

struct ScalingLawFit {
  double e = 0, a = 0, b = 0, alpha = 0, beta = 0;
  double rmse = 0;  // weighted, in the loss's units
  long long points = 0;
};
// L(N, D) = E + A / N^alpha + B / D^beta, all coefficients >= 0, exponents in
// (0, 2]. Needs points at 2 or more model sizes and 2 or more token counts;
// throws std::invalid_argument otherwise.
ScalingLawFit fit_scaling_law(const std::vector<LossPoint>& points);

// One measured loss of a grown model: the stages it went through (the last
// one partly: `stages.back().tokens` is the tokens into it when measured).
struct GrowthLossPoint {
  std::vector<StageSize> stages;
  double loss = 0;
};
struct GrowthEfficiencyFit {
  double token_efficiency = 1;
  double rmse = 0;
  long long points = 0;
};
// The growth_token_efficiency that best predicts the points with `model`'s
// other coefficients fixed (searched in [0.01, 10]). Throws
// std::invalid_argument without points.
GrowthEfficiencyFit fit_growth_token_efficiency(const LossModel& model, const std::vector<GrowthLossPoint>& points);

}  // namespace sprout::planner
