// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout fit-loss`: a loss model from the user's own small runs.
//
// FLM-101B's muScaling (arXiv 2309.03852) trains narrow proxies with muP and
// predicts the large model's loss by fitting L(N) = a N^b + c to their final
// losses. That law holds the token count fixed; the schedule search needs
// loss as a function of tokens as well, so the proxies' whole curves are
// fitted with L(N, D) = E + A / N^alpha + B / D^beta (which is a N^b + c at any
// fixed D, with a = A, b = -alpha, c = E + B / D^beta). Runs that grow between
// stages calibrate the growth efficiency (growth_loss.h). One run, by default
// the largest from-scratch one, is held out and predicted, as muScaling
// predicts the large model from the proxies; the written model is the one
// fitted without it, so the reported error is that of the model in the file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/loss/loss_model.h"
#include "sprout/planner/runs/loss_history.h"

namespace sprout::planner {

struct LossFitOptions {
  // Run name (directory name) to hold out; unset: the from-scratch run with
  // the most parameters; "none": fit on every run.
  std::optional<std::string> held_out_run;
  // Leave out the first part of every stage (warm-up, and the fast initial
  // drop no power law in D describes).
  double skip_fraction = 0.1;
  std::string name;  // model name; default "fit from N runs"
};

// Throws InputError when the runs cannot determine a fit (fewer than two
// model sizes trained from scratch, an unknown held-out run, ...).
LossModel fit_loss_model(const std::vector<RunLossHistory>& runs, const LossFitOptions& options = {});

}  // namespace sprout::planner
