// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss/loss_model.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace sprout::planner {

LossModel chinchilla_2022() {
  LossModel m;
  m.name = "chinchilla-2022";
  m.source =
      "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, arXiv 2203.15556, "
      "Approach 3 (parametric fit, eq. 10); fitted on MassiveText with its tokenizer: absolute "
      "losses do not transfer to other data, the N/D trade-off roughly does";
  m.e = 1.69;
  m.a = 406.4;
  m.b = 410.7;
  m.alpha = 0.34;
  m.beta = 0.28;
  m.growth_token_efficiency = 1.0;
  m.growth_source =
      "assumption: MSG growth is function-preserving (Yao et al. 2023, arXiv 2305.02869), so the "
      "loss carries over, and the grown model then learns like a from-scratch model of its size at "
      "that loss (FLM-101B, arXiv 2309.03852, loss curves continuous across growth)";
  return m;
}

double loss_floor(const LossModel& m, double params) { return m.e + m.a / std::pow(params, m.alpha); }

double predicted_loss(const LossModel& m, double params, double tokens) {
  if (tokens <= 0) return std::numeric_limits<double>::infinity();
  return loss_floor(m, params) + m.b / std::pow(tokens, m.beta);
}

double effective_tokens(const LossModel& m, double params, double loss) {
  if (std::isinf(loss) && loss > 0) return 0;
  const double data_term = loss - loss_floor(m, params);  // = B / D^beta
  if (data_term <= 0) return std::numeric_limits<double>::infinity();
  return std::pow(m.b / data_term, 1.0 / m.beta);
}

std::string describe_law(const LossModel& m) {
  return fmt::format("L = {:.4g} + {:.4g}/N^{:.4g} + {:.4g}/D^{:.4g}", m.e, m.a, m.alpha, m.b, m.beta);
}

std::optional<LossModelProblem> loss_model_problem(const LossModel& m) {
  auto check = [](const char* field, double v, double min, double max) -> std::optional<LossModelProblem> {
    if (!std::isfinite(v) || v < min || v > max) {
      return LossModelProblem{field, fmt::format("{} is out of range [{}, {}]", v, min, max)};
    }
    return std::nullopt;
  };
  // Exponents outside (0, 3] make no physical sense for language-model loss
  // and would overflow pow() at billions of parameters.
  for (auto p : {check("E", m.e, 0, 100), check("A", m.a, 0, 1e12), check("B", m.b, 1e-12, 1e12),
                 check("alpha", m.alpha, 1e-6, 3), check("beta", m.beta, 1e-6, 3),
                 check("growth_token_efficiency", m.growth_token_efficiency, 1e-3, 100)}) {
    if (p) return p;
  }
  return std::nullopt;
}

}  // namespace sprout::planner
