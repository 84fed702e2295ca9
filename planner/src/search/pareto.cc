// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/pareto.h"

#include <algorithm>

namespace sprout::planner {

bool dominates(const ScheduleObjectives& a, const ScheduleObjectives& b) {
  const bool no_worse =
      a.cost_usd <= b.cost_usd && a.seconds <= b.seconds && a.co2e_kg <= b.co2e_kg && a.loss <= b.loss;
  const bool better = a.cost_usd < b.cost_usd || a.seconds < b.seconds || a.co2e_kg < b.co2e_kg || a.loss < b.loss;
  return no_worse && better;
}

std::vector<size_t> pareto_front(const std::vector<ScheduleObjectives>& points) {
  // Sorted by loss, a point can only be dominated by one before it (or an
  // equal-loss one after it, which the tie-break on cost puts before it).
  std::vector<size_t> order(points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].loss != points[b].loss) return points[a].loss < points[b].loss;
    return points[a].cost_usd < points[b].cost_usd;
  });
  std::vector<size_t> front;
  for (size_t i : order) {
    bool dominated = false;
    for (size_t f : front) {
      const ScheduleObjectives& p = points[f];
      const ScheduleObjectives& q = points[i];
      const bool duplicate =
          p.cost_usd == q.cost_usd && p.seconds == q.seconds && p.co2e_kg == q.co2e_kg && p.loss == q.loss;
      if (duplicate || dominates(p, q)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

FrontPlacement place_on_front(const std::vector<ScheduleObjectives>& front, const ScheduleObjectives& x) {
  FrontPlacement out;
  out.rank = 1;
  double best_affordable_loss = x.loss;
  double cheapest_as_good = x.cost_usd;
  for (const ScheduleObjectives& p : front) {
    if (dominates(p, x)) ++out.dominated_by;
    if (p.loss < x.loss) ++out.rank;
    if (p.cost_usd <= x.cost_usd && p.seconds <= x.seconds && p.co2e_kg <= x.co2e_kg) {
      best_affordable_loss = std::min(best_affordable_loss, p.loss);
    }
    if (p.loss <= x.loss) cheapest_as_good = std::min(cheapest_as_good, p.cost_usd);
  }
  out.on_front = out.dominated_by == 0;
  out.loss_gap = x.loss - best_affordable_loss;
  out.cost_saving_fraction = x.cost_usd > 0 ? 1 - cheapest_as_good / x.cost_usd : 0;
  return out;
}

}  // namespace sprout::planner
