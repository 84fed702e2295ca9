// SPDX-License-Identifier: GPL-3.0-or-later
// Final training loss as a function of model size and data: the parametric
// scaling law of Hoffmann et al. 2022 ("Chinchilla", arXiv 2203.15556, eq. 2)
//   L(N, D) = E + A / N^alpha + B / D^beta
// with N parameters and D training tokens. Either the published coefficients
// or a fit from the user's own small runs (`sprout fit-loss`, run_loss_fit.h).
// docs/search.md explains the model, its sources and its limits.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sprout::planner {

// How a fitted model was obtained and how well it predicts a run it has not
// seen. Informational: carried in the loss-model file, never used to predict.
struct LossFitSummary {
  std::vector<std::string> runs;  // run directories the coefficients were fitted on
  long long points = 0;           // (N, D, loss) points in the fit
  double rmse = 0;                // of the fit on its own points, in nats
  struct HeldOut {
    std::string run;
    double params = 0;
    double tokens = 0;          // tokens the held-out run trained in all
    double predicted_loss = 0;  // at its final state (growth-aware)
    double actual_loss = 0;
    double relative_error = 0;  // predicted / actual - 1
    double curve_rmse = 0;      // over all its points, in nats
  };
  std::optional<HeldOut> held_out;
  // FLM-101B's muScaling fit L(N) = a N^b + c over the proxies' final losses
  // (all at about the same token count), and its prediction for the held-out run.
  struct MuScaling {
    double a = 0, b = 0, c = 0;
    double tokens = 0;  // mean token count of the proxies
    std::optional<double> held_out_predicted_loss;
    std::optional<double> held_out_relative_error;
  };
  std::optional<MuScaling> muscaling;
  long long growth_points = 0;  // post-growth points the growth efficiency was fitted on
  double growth_rmse = 0;
};

struct LossModel {
  std::string name;
  std::string source;  // where the coefficients come from
  double e = 0;        // irreducible loss (nats per token)
  double a = 0;
  double b = 0;
  double alpha = 0;
  double beta = 0;
  // Growth calibration (growth_loss.h): after a function-preserving growth,
  // each trained token moves the grown model this many tokens along its own
  // from-scratch curve. 1 = the grown model learns like a from-scratch model
  // of its size at the same loss (the MSG/FLM-101B assumption).
  double growth_token_efficiency = 1.0;
  std::string growth_source;
  std::optional<LossFitSummary> fit;
};

// Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models",
// arXiv 2203.15556, Approach 3 (eq. 10): E = 1.69, A = 406.4, B = 410.7,
// alpha = 0.34, beta = 0.28. Caveat: fitted on DeepMind's MassiveText with its
// SentencePiece tokenizer; absolute losses do not transfer to other data or
// tokenizers, only the shape of the trade-off between N and D roughly does.
LossModel chinchilla_2022();

// L(N, D); +infinity for D = 0 (an untrained model).
double predicted_loss(const LossModel& model, double params, double tokens);

// The loss an N-parameter model approaches with unlimited data: E + A / N^alpha.
double loss_floor(const LossModel& model, double params);

// Tokens D at which an N-parameter model trained from scratch reaches `loss`:
// the inverse of predicted_loss in D. 0 when `loss` is at or above the loss of
// an untrained model, +infinity when it is at or below the floor.
double effective_tokens(const LossModel& model, double params, double loss);

// "L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28".
std::string describe_law(const LossModel& model);

// What is wrong with the coefficients (negative, non-finite, zero exponents),
// or nothing. Loaders and fitters call it before a model is used.
struct LossModelProblem {
  std::string field;  // "alpha", "growth_token_efficiency", ...
  std::string reason;
};
std::optional<LossModelProblem> loss_model_problem(const LossModel& model);

}  // namespace sprout::planner
