// SPDX-License-Identifier: GPL-3.0-or-later
#include "search/schedule_plan.h"

#include "sprout/planner/model/growth.h"
#include "sprout/planner/search/shape_ladder.h"

namespace sprout::planner {

Plan make_schedule_plan(const Plan& base, const std::vector<PlannedStage>& stages, long long grow_steps,
                        const std::string& name, const std::string& notes) {
  Plan plan = base;
  plan.name = name;
  plan.notes = notes;
  plan.stages.clear();
  for (const PlannedStage& ps : stages) {
    Stage st = ps.shape->stage;
    st.name = shape_label(st.shape);
    st.tokens = static_cast<double>(ps.iterations) * ps.shape->batch_tokens;
    if (!plan.stages.empty()) {
      const GrowthKind kind = infer_growth(plan.stages.back().shape, st.shape).kind;
      st.grow = GrowSpec{kind.width, kind.depth, grow_steps};
    }
    plan.stages.push_back(std::move(st));
  }
  return plan;
}

}  // namespace sprout::planner
