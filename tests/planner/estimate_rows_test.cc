// SPDX-License-Identifier: GPL-3.0-or-later
// The per-stage table of a plan estimate, as `sprout plan` and the GUI show it.
#include "sprout/planner/cost/estimate_rows.h"

#include <gtest/gtest.h>

#include "sprout/planner/base/format_units.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

TEST(EstimateRows, StagesThenTotalThenBaseline) {
  const Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  const PlanEstimate e = estimate_plan(plan);
  ASSERT_TRUE(e.scratch_baseline);
  const std::vector<EstimateRow> rows = estimate_rows(e, plan.cluster.gpus);
  ASSERT_EQ(rows.size(), e.stages.size() + 2);
  for (size_t i = 0; i < e.stages.size(); ++i) {
    EXPECT_EQ(rows[i].kind, EstimateRowKind::kStage);
    EXPECT_EQ(rows[i].name, e.stages[i].name);
    EXPECT_EQ(rows[i].flops, e.stages[i].flops);
    ASSERT_TRUE(rows[i].stage);
    EXPECT_EQ(rows[i].stage->iteration_s, e.stages[i].iteration.iteration_s);
  }
  const EstimateRow& total = rows[e.stages.size()];
  EXPECT_EQ(total.kind, EstimateRowKind::kTotal);
  EXPECT_FALSE(total.stage);
  EXPECT_EQ(total.costs.cost_usd, e.total.cost_usd);
  EXPECT_EQ(total.tokens, e.total_tokens);
  EXPECT_EQ(total.params, e.stages.back().params);
  EXPECT_EQ(rows.back().kind, EstimateRowKind::kScratch);
  EXPECT_EQ(rows.back().name, e.scratch_baseline->name);
  for (const EstimateRow& r : rows) {
    EXPECT_EQ(r.cells.size(), estimate_columns().size()) << r.name;
    EXPECT_EQ(r.gpus, plan.cluster.gpus);
  }
}

TEST(EstimateRows, CellsAreTheFiguresForPeople) {
  const Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  const PlanEstimate e = estimate_plan(plan);
  const std::vector<EstimateRow> rows = estimate_rows(e, plan.cluster.gpus);
  // A grown stage says how it grew; the first does not.
  EXPECT_EQ(rows[0].cells[0], e.stages[0].name);
  ASSERT_TRUE(e.stages[1].growth.any());
  EXPECT_EQ(rows[1].cell("stage"), "+" + describe(e.stages[1].growth) + " " + e.stages[1].name);
  EXPECT_EQ(rows[1].cell("MFU"), percent(e.stages[1].iteration.mfu));
  const EstimateRow& total = rows[e.stages.size()];
  EXPECT_EQ(total.cell("stage"), "total");
  EXPECT_EQ(total.cell("USD"), human_usd(e.total.cost_usd));
  EXPECT_EQ(total.cell("time"), human_duration(e.total.seconds));
  EXPECT_EQ(total.cell("layout"), "");
  EXPECT_EQ(total.cell("TF/GPU"), "");
  EXPECT_THROW(total.cell("no such column"), std::out_of_range);
}

}  // namespace
}  // namespace sprout::planner
