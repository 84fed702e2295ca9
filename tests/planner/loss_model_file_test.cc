// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/io/loss_model_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

LossModel fitted() {
  LossModel m = chinchilla_2022();
  m.name = "fit from 2 runs";
  m.e = 1.0832;
  m.a = 31.2137925;
  m.alpha = 1.0 / 3;
  m.growth_token_efficiency = 0.8085;
  m.growth_source = "calibrated";
  LossFitSummary f;
  f.runs = {"w32", "w64"};
  f.points = 16;
  f.rmse = 0.0067;
  f.held_out = LossFitSummary::HeldOut{"w192", 963840, 1605632, 2.1692, 2.1764, -0.0033, 0.008};
  f.muscaling = LossFitSummary::MuScaling{46.6, -0.3858, 1.957, 1605632, 2.1859, 0.0044};
  f.growth_points = 8;
  f.growth_rmse = 0.0049;
  m.fit = f;
  return m;
}

TEST(LossModelFile, RoundTripsExactly) {
  const std::string dir = test::make_temp_dir("loss-model");
  const LossModel m = fitted();
  write_loss_model(dir + "/model.yaml", m);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temp file left
  const LossModel back = load_loss_model(dir + "/model.yaml");
  EXPECT_EQ(back.name, m.name);
  EXPECT_EQ(back.source, m.source);
  EXPECT_DOUBLE_EQ(back.e, m.e);
  EXPECT_DOUBLE_EQ(back.a, m.a);
  EXPECT_DOUBLE_EQ(back.b, m.b);
  EXPECT_DOUBLE_EQ(back.alpha, m.alpha);
  EXPECT_DOUBLE_EQ(back.beta, m.beta);
  EXPECT_DOUBLE_EQ(back.growth_token_efficiency, m.growth_token_efficiency);
  EXPECT_EQ(back.growth_source, m.growth_source);
  ASSERT_TRUE(back.fit && back.fit->held_out && back.fit->muscaling);
  EXPECT_EQ(back.fit->runs, m.fit->runs);
  EXPECT_DOUBLE_EQ(back.fit->held_out->relative_error, -0.0033);
  EXPECT_DOUBLE_EQ(*back.fit->muscaling->held_out_predicted_loss, 2.1859);
  EXPECT_EQ(back.fit->growth_points, 8);
  EXPECT_EQ(loss_model_to_yaml(back), loss_model_to_yaml(m));
}

TEST(LossModelFile, MinimalFileGetsTheDefaultGrowthAssumption) {
  const LossModel m =
      load_loss_model_from_string("name: mine\nE: 1.5\nA: 300\nB: 400\nalpha: 0.3\nbeta: 0.3\n", "mine.yaml");
  EXPECT_DOUBLE_EQ(m.growth_token_efficiency, 1.0);
  EXPECT_EQ(m.growth_source, chinchilla_2022().growth_source);
  EXPECT_FALSE(m.fit);
}

std::string loss_model_error(const std::string& yaml) {
  try {
    load_loss_model_from_string(yaml, "bad.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LossModelFile, BadFilesNameLineAndField) {
  const std::string ok = "name: m\nE: 1.5\nA: 300\nB: 400\nalpha: 0.3\nbeta: 0.3\n";
  EXPECT_EQ(loss_model_error(ok + "gamma: 2\n"), "bad.yaml:7:1: gamma: unknown key");
  EXPECT_EQ(loss_model_error("name: m\nE: 1.5\nA: 300\nB: 400\nbeta: 0.3\n"),
            "bad.yaml:1:1: alpha: missing (required)");
  EXPECT_EQ(loss_model_error("name: m\nE: 1.5\nA: 300\nB: -4\nalpha: 0.3\nbeta: 0.3\n"),
            "bad.yaml:4:4: B: -4 is out of range [1e-12, 1e+12]");
  EXPECT_EQ(loss_model_error("name: m\nE: 1.5\nA: 300\nB: 400\nalpha: .nan\nbeta: 0.3\n"),
            "bad.yaml:5:8: alpha: '.nan' is not a finite number");
  EXPECT_EQ(loss_model_error(ok + "law: kaplan\n"), "bad.yaml:7:6: law: 'kaplan' is not one of chinchilla");
  EXPECT_EQ(loss_model_error(ok + "growth: {token_efficiency: 0}\n"),
            "bad.yaml:7:28: growth.token_efficiency: 0 is out of range [0.001, 100]");
  EXPECT_NE(loss_model_error("name: [m\n").find("bad.yaml:2:1: malformed YAML"), std::string::npos);
  EXPECT_EQ(loss_model_error(ok + "fit: {runs: a, points: 1, rmse: 0}\n"),
            "bad.yaml:7:13: fit.runs: expected a list of run directories");
  EXPECT_THROW(load_loss_model("/no/such/model.yaml"), InputError);
}

}  // namespace
}  // namespace sprout::planner
