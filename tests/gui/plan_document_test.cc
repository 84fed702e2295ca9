// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/plan_document.h"

#include <gtest/gtest.h>

#include <QFile>
#include <filesystem>

#include "sprout/gui/stages_model.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::gui {
namespace {

QString flm() { return QString::fromStdString(test::source_path("plans/flm-101b.yaml")); }

TEST(PlanDocument, LoadsAndEstimatesLikeThePlanner) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(flm()));
  ASSERT_TRUE(doc.estimate().has_value());
  auto expected = planner::estimate_plan(planner::load_plan(flm().toStdString()));
  EXPECT_DOUBLE_EQ(doc.estimate()->total.cost_usd, expected.total.cost_usd);
  EXPECT_DOUBLE_EQ(doc.estimate()->total.co2e_kg, expected.total.co2e_kg);
  EXPECT_EQ(doc.stage_count(), 3);
  EXPECT_EQ(doc.stage_value(1, "hidden"), "10240");
  EXPECT_EQ(doc.stage_value(2, "parallel.pp"), "4");
}

TEST(PlanDocument, EditsUpdateTheEstimateAndErrorsNameTheField) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(flm()));
  const double before = doc.estimate()->total.cost_usd;
  doc.set_stage_value(0, "tokens", "490.74e9");  // twice the 16B stage's tokens
  ASSERT_FALSE(doc.error());
  EXPECT_GT(doc.estimate()->total.cost_usd, before * 1.3);
  doc.set_stage_value(0, "heads", "7");
  ASSERT_TRUE(doc.error().has_value());
  EXPECT_EQ(doc.error()->field, "stages[0].heads");
  EXPECT_NE(doc.error()->message.indexOf("heads=7 does not divide hidden=5632"), -1) << doc.error()->full.toStdString();
  StagesModel model(&doc);
  EXPECT_EQ(model.error_index(), model.index(0, model.column_of("heads")));
  // The estimate stays at the last valid plan.
  EXPECT_GT(doc.estimate()->total.cost_usd, before * 1.3);
}

TEST(PlanDocument, GrowthFlagsFollowTheShapeAndShrinkingIsAnError) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(QString::fromStdString(test::source_path("plans/tiny-cpu.yaml"))));
  doc.set_stage_value(2, "hidden", "192");  // the last stage now grows in width and depth
  ASSERT_FALSE(doc.error()) << doc.error()->full.toStdString();
  EXPECT_EQ(doc.stage_value(2, "grow.width"), "true");
  EXPECT_EQ(doc.stage_value(2, "grow.depth"), "true");
  EXPECT_EQ(planner::describe(doc.estimate()->stages[2].growth), "width+depth");
  doc.set_stage_value(2, "layers", "1");
  ASSERT_TRUE(doc.error().has_value());
  EXPECT_EQ(doc.error()->field, "stages[2].layers");
  EXPECT_NE(doc.error()->message.indexOf("shrinks from 2 to 1"), -1) << doc.error()->full.toStdString();
}

TEST(PlanDocument, InvalidDraftIsNeverSaved) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(flm()));
  const QString out = QString::fromStdString(test::make_temp_dir("gui-save")) + "/plan.yaml";
  doc.set_stage_value(1, "lr", "-1");
  ASSERT_TRUE(doc.error());
  EXPECT_FALSE(doc.save(out));
  EXPECT_FALSE(QFile::exists(out));
  doc.set_stage_value(1, "lr", "3.4e-4");
  ASSERT_FALSE(doc.error());
  EXPECT_TRUE(doc.save(out));
  auto reloaded = planner::estimate_plan(planner::load_plan(out.toStdString()));
  EXPECT_DOUBLE_EQ(reloaded.total.cost_usd, doc.estimate()->total.cost_usd);
}

TEST(PlanDocument, StagesCanBeAddedRemovedAndReordered) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(QString::fromStdString(test::source_path("plans/tiny-cpu.yaml"))));
  doc.add_stage_after(2);
  ASSERT_EQ(doc.stage_count(), 4);
  EXPECT_EQ(doc.stage_value(3, "name"), "deep copy");
  ASSERT_FALSE(doc.error()) << doc.error()->full.toStdString();  // same shape: no growth
  doc.move_stage(3, -3);                                         // the big copy first: later stages shrink
  ASSERT_TRUE(doc.error());
  EXPECT_NE(doc.error()->message.indexOf("shrinks"), -1);
  EXPECT_EQ(doc.stage_value(0, "name"), "deep copy");
  EXPECT_EQ(doc.stage_value(1, "name"), "small");
  EXPECT_EQ(doc.stage_value(3, "name"), "deep");
  doc.move_stage(0, +3);
  EXPECT_EQ(doc.stage_value(3, "name"), "deep copy");
  EXPECT_FALSE(doc.error()) << (doc.error() ? doc.error()->full.toStdString() : "");
  doc.remove_stage(3);
  EXPECT_EQ(doc.stage_count(), 3);
  EXPECT_FALSE(doc.error());
}

TEST(PlanDocument, TheFirstStagesInitFromRoundTripsUnchanged) {
  // A plan that starts from a trained model beside it (relative path); edited and saved in another folder.
  const std::string dir = test::make_temp_dir("gui-init-from");
  std::filesystem::create_directories(dir + "/trained");
  std::string yaml = planner::read_file(test::source_path("plans/tiny-cpu.yaml"));
  const std::string first = "  - name: small\n";
  ASSERT_NE(yaml.find(first), std::string::npos);
  yaml.insert(yaml.find(first) + first.size(), "    init_from: trained\n");
  planner::write_file_atomically(dir + "/plan.yaml", yaml);
  PlanDocument doc;
  ASSERT_TRUE(doc.load(QString::fromStdString(dir + "/plan.yaml"))) << doc.last_load_error().toStdString();
  const QString trained = QString::fromStdString(dir + "/trained");
  EXPECT_EQ(doc.stage_value(0, "init_from"), trained);
  doc.set_stage_value(1, "lr", "1e-3");
  doc.add_stage_after(0);  // the copy does not start from the model
  ASSERT_FALSE(doc.error()) << doc.error()->full.toStdString();
  EXPECT_EQ(doc.stage_value(1, "init_from"), "");
  const std::string saved = test::make_temp_dir("gui-init-from-saved") + "/plan.yaml";
  ASSERT_TRUE(doc.save(QString::fromStdString(saved)));
  const planner::Plan reloaded = planner::load_plan(saved);
  EXPECT_EQ(reloaded.stages[0].init_from, trained.toStdString());
  EXPECT_EQ(reloaded.stages[1].init_from, "");
}

TEST(PlanDocument, BadFileLeavesTheDocumentAlone) {
  PlanDocument doc;
  ASSERT_TRUE(doc.load(flm()));
  EXPECT_FALSE(doc.load(QString::fromStdString(test::source_path("tests/data/bad/malformed-yaml.yaml"))));
  EXPECT_NE(doc.last_load_error().indexOf("malformed YAML"), -1);
  EXPECT_EQ(doc.stage_count(), 3);
  EXPECT_FALSE(doc.load("/no/such/plan.yaml"));
  EXPECT_NE(doc.last_load_error().indexOf("cannot open file"), -1);
}

}  // namespace
}  // namespace sprout::gui
