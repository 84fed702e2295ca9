// SPDX-License-Identifier: GPL-3.0-or-later
// Every enum that files and flags spell as text has one table of names
// (base/enum_names.h): each value reads back from its name, and an unknown
// name is an error that lists the names.
#include <gtest/gtest.h>

#include "enum_names_check.h"
#include "sprout/planner/export/cluster_export.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"
#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {
namespace {

TEST(EnumNames, EveryPlannerEnumRoundTrips) {
  test::expect_round_trip<Activation>({Activation::kGelu, Activation::kSwiglu});
  test::expect_round_trip<PositionEmbedding>(
      {PositionEmbedding::kLearned, PositionEmbedding::kRotary, PositionEmbedding::kXpos});
  test::expect_round_trip<Norm>({Norm::kLayerNorm, Norm::kRmsNorm});
  test::expect_round_trip<Recompute>({Recompute::kNone, Recompute::kSelective, Recompute::kFull});
  test::expect_round_trip<AttentionKernel>({AttentionKernel::kStandard, AttentionKernel::kFlash});
  test::expect_round_trip<PowerModel>({PowerModel::kTdp, PowerModel::kTypical});
  test::expect_round_trip<ExportTarget>({ExportTarget::kSlurm, ExportTarget::kKubernetes});
}

TEST(EnumNames, TheNamesAreThePlanFilesSpellings) {
  EXPECT_EQ(EnumNames<Activation>::list(), "gelu | swiglu");
  EXPECT_EQ(EnumNames<PositionEmbedding>::list(), "learned | rotary | xpos");
  EXPECT_EQ(EnumNames<Norm>::list(), "layernorm | rmsnorm");
  EXPECT_EQ(EnumNames<Recompute>::list(), "none | selective | full");
  EXPECT_EQ(EnumNames<AttentionKernel>::list(), "standard | flash | flash1");
  EXPECT_EQ(EnumNames<PowerModel>::list(), "tdp | typical");
  EXPECT_EQ(EnumNames<ExportTarget>::list(), "slurm | k8s | megatron");
  EXPECT_STREQ(to_string(PowerModel::kTypical), "typical");
  EXPECT_STREQ(to_string(Recompute::kSelective), "selective");
}

}  // namespace

// An enum with an alias (no planner enum has one now: xPos became its own value).
enum class Spelling { kColour, kGrey };
template <>
struct EnumNameTable<Spelling> {
  static constexpr EnumName<Spelling> entries[] = {
      {Spelling::kColour, "colour"}, {Spelling::kColour, "color"}, {Spelling::kGrey, "grey"}};
};

namespace {

TEST(EnumNames, AnAliasReadsAsItsValueAndTheFirstNameIsWritten) {
  EXPECT_EQ(EnumNames<Spelling>::parse("color"), Spelling::kColour);
  EXPECT_STREQ(EnumNames<Spelling>::name(Spelling::kColour), "colour");
  EXPECT_EQ(EnumNames<PositionEmbedding>::parse("xpos"), PositionEmbedding::kXpos);
}

TEST(EnumNames, AnUnknownNameIsAnErrorListingTheNames) {
  EXPECT_FALSE(EnumNames<Activation>::parse("relu"));
  EXPECT_FALSE(EnumNames<Activation>::parse("GELU"));  // spelt exactly
  EXPECT_FALSE(EnumNames<Activation>::parse(""));
  try {
    EnumNames<Activation>::parse("relu", {"plan.yaml", 3, 15}, "model.activation");
    FAIL() << "no error for relu";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "model.activation");
    EXPECT_EQ(e.reason(), "'relu' is not one of gelu | swiglu");
    EXPECT_EQ(e.where().line, 3);
  }
}

}  // namespace
}  // namespace sprout::planner
