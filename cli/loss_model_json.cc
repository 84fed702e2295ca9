// SPDX-License-Identifier: GPL-3.0-or-later
#include "loss_model_json.h"

namespace sprout::cli {

nlohmann::json loss_model_json(const planner::LossModel& m) {
  nlohmann::json j = {{"name", m.name},
                      {"source", m.source},
                      {"law", planner::describe_law(m)},
                      {"E", m.e},
                      {"A", m.a},
                      {"B", m.b},
                      {"alpha", m.alpha},
                      {"beta", m.beta},
                      {"growth_token_efficiency", m.growth_token_efficiency},
                      {"growth_source", m.growth_source}};
  if (!m.fit) return j;
  const planner::LossFitSummary& f = *m.fit;
  nlohmann::json fit = {{"runs", f.runs},
                        {"points", f.points},
                        {"rmse", f.rmse},
                        {"growth_points", f.growth_points},
                        {"growth_rmse", f.growth_rmse}};
  if (f.held_out) {
    fit["held_out"] = {{"run", f.held_out->run},
                       {"params", f.held_out->params},
                       {"tokens", f.held_out->tokens},
                       {"predicted_loss", f.held_out->predicted_loss},
                       {"actual_loss", f.held_out->actual_loss},
                       {"relative_error", f.held_out->relative_error},
                       {"curve_rmse", f.held_out->curve_rmse}};
  }
  if (f.muscaling) {
    fit["muscaling"] = {
        {"a", f.muscaling->a}, {"b", f.muscaling->b}, {"c", f.muscaling->c}, {"tokens", f.muscaling->tokens}};
    if (f.muscaling->held_out_predicted_loss) {
      fit["muscaling"]["held_out_predicted_loss"] = *f.muscaling->held_out_predicted_loss;
      fit["muscaling"]["held_out_relative_error"] = *f.muscaling->held_out_relative_error;
    }
  }
  j["fit"] = fit;
  return j;
}

}  // namespace sprout::cli
