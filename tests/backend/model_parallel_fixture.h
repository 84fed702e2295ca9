// SPDX-License-Identifier: GPL-3.0-or-later
// The fixture of the tensor/pipeline-parallel end-to-end tests
// (model_parallel_e2e_test.cc, shard_local_growth_e2e_test.cc): the tiny
// growth plan with a layout per stage, trained by 1-4 sprout-train
// processes over Gloo, and its one-process run to compare against.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "model/growth.h"
#include "parallel/stage_layout.h"
#include "parallel/tensor_sharding.h"
#include "rank_processes.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/telemetry_record.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {

inline const std::string kTrain = sprout::test::sprout_train_cmd();
inline constexpr double kLossRelativeTolerance = 1e-5;

inline std::string layout(int tp, int pp, int dp, int micro_batch = 4) {
  return "{tp: " + std::to_string(tp) + ", pp: " + std::to_string(pp) + ", dp: " + std::to_string(dp) +
         ", micro_batch: " + std::to_string(micro_batch) + "}";
}

class ModelParallel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("tp-pp-e2e");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = sprout::test::run_command(kTrain + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ + "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    one_ = write_plan("one", 1, layout(1, 1, 1), layout(1, 1, 1), layout(1, 1, 1));
    train(1, one_, dir_ + "/one");
  }

  // The tiny growth plan (1x32 -> 1x64 -> 2x64) with a layout per stage.
  static std::string write_plan(const std::string& name, int gpus, const std::string& small, const std::string& wide,
                                const std::string& deep, const std::string& model = "", const std::string& stage = "") {
    test::TinyGrowthPlan t;
    t.gpus = gpus;
    t.model_extra = model;
    t.stage_extra = stage;
    t.training_extra = ", threads: 1, collective_timeout_s: 20";
    t.first_parallel = small;
    t.later_parallel = wide;
    t.deep_parallel = deep;
    const std::string path = dir_ + "/" + name + ".yaml";
    planner::write_file_atomically(path, test::tiny_growth_plan_yaml(t));
    return path;
  }

  static std::string command(const std::string& plan, const std::string& run, const std::string& extra = "") {
    return kTrain + " --plan " + plan + " --data " + dir_ + "/data --out " + run + " --quiet " + extra;
  }

  static void train(int ranks, const std::string& plan, const std::string& run, const std::string& extra = "") {
    test::RankProcesses p(ranks, command(plan, run, extra), run + ".log");
    const std::vector<int> codes = p.wait_all(120);
    for (int r = 0; r < ranks; ++r) ASSERT_EQ(codes[static_cast<size_t>(r)], 0) << "rank " << r << ": " << p.log(r);
  }

  // (step, value) of every record with `key` and no event (training steps),
  // or of the records of `event`.
  static std::vector<std::pair<long long, double>> series(const std::string& run, const std::string& key = "loss",
                                                          const std::string& event = "") {
    std::vector<std::pair<long long, double>> out;
    for (const auto& j : test::read_telemetry(run)) {
      if (j.value("event", "") == event && j.contains(key)) {
        out.emplace_back(j["step"].get<long long>(), j[key].get<double>());
      }
    }
    return out;
  }

  // Training losses and validation losses (incl. before/after each growth)
  // equal the one-process run's.
  static void expect_same_losses_as_one_process(const std::string& run, const std::string& one = dir_ + "/one",
                                                double relative_tolerance = kLossRelativeTolerance) {
    for (const auto& [key, event] : std::vector<std::pair<std::string, std::string>>{
             {"loss", ""}, {"val_loss", "eval"}, {"val_loss_after", "grow"}}) {
      const auto want = series(one, key, event);
      const auto got = series(run, key, event);
      ASSERT_EQ(want.size(), got.size()) << run << " " << key;
      ASSERT_FALSE(want.empty());
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(want[i].first, got[i].first) << run << " " << key;
        EXPECT_NEAR(got[i].second, want[i].second, relative_tolerance * std::abs(want[i].second))
            << run << " " << key << " at step " << want[i].first;
      }
    }
  }

  // `sprout compare`'s pipeline bubbles of a run (measured, simulated, analytic).
  static nlohmann::json pipeline_bubbles(const std::string& plan, const std::string& run) {
    auto r = sprout::test::run_command(sprout::test::sprout_cmd() + " compare " + plan + " " + run + " --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out)["pipeline_bubbles"] : nlohmann::json::array();
  }

  static std::string one_run() { return dir_ + "/one"; }
  static std::string four_block_plan(const std::string& name, int gpus, const std::string& deep);

  static inline std::string dir_, one_;
};

// The bytes of the parameters and Adam moments (fp32) that `rank` of
// `world` holds in the stage a checkpoint resumes into under `plan`: its
// pipeline stage's parameters, tensor-parallel ones as its slice,
// replicated ones whole. What a shard-local resume needs to read.
inline double part_bytes(const std::string& plan, const std::string& checkpoint, int rank, int world) {
  const auto state = nlohmann::json::parse(planner::read_file(checkpoint + "/state.json"));
  const planner::ModelShape shape = planner::model_shape_from_json(state.at("shape"));
  const planner::Plan p = planner::load_plan(plan);
  // With a growth due the rank resumes with its part of the stage before.
  size_t stage = state.at("stage_index").get<size_t>();
  if (!same_shape(shape, p.stages.at(stage).shape)) stage -= 1;
  const RankShare share(layout_for_stage(p.stages.at(stage), world), rank);
  double bytes = 0;
  for (const ParameterSpec& spec : gpt_parameter_specs(shape)) {
    if (!share.holds(spec, shape)) continue;
    const bool split = share.layout().tp > 1 && tensor_parallel_axis(spec).has_value();
    const AxisRange range =
        split ? tensor_parallel_range(spec, shape, share.layout().tp, share.position().tp) : AxisRange{};
    double elements = 1;
    for (int64_t d : slice_storage_sizes(spec, shape, range)) elements *= static_cast<double>(d);
    bytes += 3 * sizeof(float) * elements;  // the parameter and its two moments
  }
  return bytes;
}

// `plan` with its first `from` replaced by `to` (rewritten in place).
inline std::string edited(const std::string& plan, const std::string& from, const std::string& to) {
  std::string y = planner::read_file(plan);
  y.replace(y.find(from), from.size(), to);
  planner::write_file_atomically(plan, y);
  return plan;
}

// The tiny plan with its depth stage at 4 blocks, data-parallel then TP2 before it.
inline std::string ModelParallel::four_block_plan(const std::string& name, int gpus, const std::string& deep) {
  const std::string first = gpus == 1 ? layout(1, 1, 1) : layout(1, 1, 2);
  const std::string wide = gpus == 1 ? layout(1, 1, 1) : layout(2, 1, 1);
  return edited(write_plan(name, gpus, first, wide, deep), "depth: true, grow_steps: 4}, layers: 2",
                "depth: true, grow_steps: 4}, layers: 4");
}

}  // namespace sprout::backend
