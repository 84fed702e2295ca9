// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/io/plan_loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sprout/planner/cost/estimate.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

TEST(PlanLoader, LoadsTheFlmPlanWithItsGuessesStated) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  EXPECT_EQ(plan.name, "FLM-101B growth schedule");
  EXPECT_EQ(plan.cluster.gpus, 192);
  EXPECT_EQ(plan.cluster.hardware.name, "a800");
  EXPECT_EQ(plan.cluster.region.name, "cn-north");
  EXPECT_DOUBLE_EQ(plan.cluster.price_usd_per_gpu_hour, 1.0);
  ASSERT_EQ(plan.stages.size(), 3u);
  EXPECT_DOUBLE_EQ(plan.stages[0].tokens, 245.37e9);
  EXPECT_EQ(plan.stages[0].shape.hidden, 5632);
  EXPECT_EQ(plan.stages[0].shape.heads, 44);
  EXPECT_EQ(plan.stages[0].shape.head_dim(), plan.stages[2].shape.head_dim());
  // Batches in sequences (2304 / 2304 / 2160, arXiv 2309.03852) x seq_len 2048.
  EXPECT_DOUBLE_EQ(plan.stages[0].global_batch_tokens, 2304.0 * 2048);
  EXPECT_DOUBLE_EQ(plan.stages[1].global_batch_tokens, 2304.0 * 2048);
  EXPECT_DOUBLE_EQ(plan.stages[2].global_batch_tokens, 2160.0 * 2048);
  EXPECT_EQ(plan.stages[1].shape.hidden, 10240);
  EXPECT_EQ(plan.stages[2].shape.layers, 80);
  EXPECT_EQ(plan.stages[2].shape.ffn_hidden, 40960);
  EXPECT_EQ(plan.stages[2].parallel->tp, 4);
  EXPECT_EQ(plan.stages[2].parallel->pp, 4);
  EXPECT_EQ(plan.stages[2].parallel->dp, 12);
  EXPECT_TRUE(plan.stages[1].grow->width);
  EXPECT_TRUE(plan.stages[2].grow->depth);
  EXPECT_NE(plan.notes.find("Guessed"), std::string::npos);
}

TEST(PlanLoader, ShippedPlansAndProfilesAllLoad) {
  for (const char* kind : {"hardware", "regions"}) {
    EXPECT_GE(list_profiles(kind).size(), 6u) << kind;
  }
  for (const auto& name : list_profiles("hardware")) EXPECT_NO_THROW(find_hardware_profile(name)) << name;
  for (const auto& name : list_profiles("regions")) EXPECT_NO_THROW(find_region_profile(name)) << name;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(test::source_path("plans"))) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "published.yaml") continue;
    EXPECT_NO_THROW(estimate_plan(load_plan(entry.path().string()))) << entry.path();
  }
}

TEST(PlanLoader, CommandLineOverridesBeatThePlan) {
  ClusterOverrides o;
  o.hardware = "h100-sxm";
  o.region = "france";
  o.price_usd_per_gpu_hour = 2.5;
  o.gpus = 384;
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"), o);
  EXPECT_EQ(plan.cluster.hardware.name, "h100-sxm");
  EXPECT_EQ(plan.cluster.region.name, "france");
  EXPECT_DOUBLE_EQ(plan.cluster.price_usd_per_gpu_hour, 2.5);
  EXPECT_EQ(plan.cluster.gpus, 384);
  // TP and PP stay, DP doubles.
  EXPECT_EQ(plan.stages[0].parallel->dp, 192);
  EXPECT_EQ(plan.stages[2].parallel->dp, 24);
}

TEST(PlanLoader, PriceListResolvesTheHardwarePrice) {
  const std::string dir = test::make_temp_dir("pricelist");
  std::ofstream(dir + "/p.yaml") << "name: p\nhardware: h100-sxm\ngpus: 8\nregion: france\n"
                                    "price_list: aws-capacity-blocks-2024\n"
                                    "stages:\n  - {layers: 2, hidden: 64, heads: 4, vocab: 256, "
                                    "seq_len: 64, tokens: 1e6, global_batch_tokens: 4096, lr: 1e-3}\n";
  EXPECT_DOUBLE_EQ(load_plan(dir + "/p.yaml").cluster.price_usd_per_gpu_hour, 4.92);
}

TEST(PlanLoader, WrittenPlansReloadToTheSameNumbers) {
  for (const char* file : {"plans/flm-101b.yaml", "plans/tiny-cpu.yaml", "plans/scratch-101b.yaml"}) {
    Plan plan = load_plan(test::source_path(file));
    const std::string dir = test::make_temp_dir("roundtrip");
    const std::string out = dir + "/plan.yaml";
    std::ofstream(out) << plan_to_yaml(plan);
    Plan again = load_plan(out);
    auto a = estimate_plan(plan), b = estimate_plan(again);
    ASSERT_EQ(a.stages.size(), b.stages.size()) << file;
    EXPECT_EQ(again.name, plan.name);
    EXPECT_EQ(again.training.seed, plan.training.seed);
    EXPECT_DOUBLE_EQ(a.total.seconds, b.total.seconds) << file;
    EXPECT_DOUBLE_EQ(a.total.cost_usd, b.total.cost_usd) << file;
    EXPECT_DOUBLE_EQ(a.total.co2e_kg, b.total.co2e_kg) << file;
    EXPECT_DOUBLE_EQ(a.total_flops, b.total_flops) << file;
  }
}

// training.data as a blend, data_split, eod_mask_loss and spike: read
// (paths relative to the plan's folder), written, and read back the same.
TEST(PlanLoader, DataBlendSplitAndSpikeSettingsRoundTrip) {
  const std::string dir = test::make_temp_dir("data-settings");
  std::ofstream(dir + "/plan.yaml") << R"(name: blend
hardware: a100-80
gpus: 8
region: us-average
model: {vocab: 512, seq_len: 128}
training:
  data: [{path: web/text_document, weight: 0.7}, {path: /data/books, weight: 0.3}]
  data_split: [98, 2]
  eod_mask_loss: true
  spike: {z: 3.5, window: 20, action: rollback}
stages:
  - {name: s, layers: 2, hidden: 64, heads: 4, tokens: 1e6, global_batch_tokens: 1024, lr: 1e-3}
)";
  const Plan plan = load_plan(dir + "/plan.yaml");
  const TrainingSettings& t = plan.training;
  EXPECT_TRUE(t.data.empty());
  ASSERT_EQ(t.data_blend.size(), 2u);
  EXPECT_EQ(t.data_blend[0].path, dir + "/web/text_document");
  EXPECT_DOUBLE_EQ(t.data_blend[0].weight, 0.7);
  EXPECT_EQ(t.data_blend[1].path, "/data/books");
  EXPECT_EQ(t.data_split, (std::vector<double>{98, 2, 0}));
  EXPECT_TRUE(t.eod_mask_loss);
  ASSERT_TRUE(t.spike);
  EXPECT_DOUBLE_EQ(t.spike->z, 3.5);
  EXPECT_EQ(t.spike->window, 20);
  EXPECT_EQ(t.spike->action, SpikeAction::kRollback);

  std::ofstream(dir + "/again.yaml") << plan_to_yaml(plan);
  const TrainingSettings again = load_plan(dir + "/again.yaml").training;
  ASSERT_EQ(again.data_blend.size(), 2u);
  EXPECT_EQ(again.data_blend[0].path, t.data_blend[0].path);
  EXPECT_DOUBLE_EQ(again.data_blend[1].weight, 0.3);
  EXPECT_EQ(again.data_split, t.data_split);
  EXPECT_TRUE(again.eod_mask_loss);
  ASSERT_TRUE(again.spike);
  EXPECT_EQ(again.spike->window, 20);
  EXPECT_EQ(again.spike->action, SpikeAction::kRollback);
  // Without them, nothing is written (older plans keep their fingerprint).
  const std::string plain = plan_to_yaml(load_plan(test::source_path("plans/tiny-cpu.yaml")));
  for (const char* key : {"data_split", "eod_mask_loss", "spike"}) EXPECT_EQ(plain.find(key), std::string::npos);
}

// The first stage's init_from: relative to the plan's folder, kept absolute,
// so a plan written into another folder names the same model.
TEST(PlanLoader, InitFromIsResolvedAndRoundTripsFromAnotherFolder) {
  const std::string dir = test::make_temp_dir("init-from");
  std::filesystem::create_directories(dir + "/runs/small-hf");
  std::ofstream(dir + "/plan.yaml") << R"(name: grown from a trained model
hardware: a100-80
gpus: 8
region: us-average
model: {vocab: 512, seq_len: 128}
stages:
  - {name: s, layers: 2, hidden: 64, heads: 4, tokens: 1e6, global_batch_tokens: 1024, lr: 1e-3,
     init_from: runs/../runs/small-hf}
  - {name: d, layers: 4, hidden: 64, heads: 4, tokens: 1e6, global_batch_tokens: 1024, lr: 1e-3, grow: {depth: true}}
)";
  const Plan plan = load_plan(dir + "/plan.yaml");
  const std::string model = std::filesystem::absolute(dir + "/runs/small-hf").lexically_normal().string();
  EXPECT_EQ(plan.stages[0].init_from, model);
  EXPECT_EQ(plan.stages[1].init_from, "");
  const std::string elsewhere = test::make_temp_dir("init-from-elsewhere");
  std::ofstream(elsewhere + "/again.yaml") << plan_to_yaml(plan);
  EXPECT_EQ(load_plan(elsewhere + "/again.yaml").stages[0].init_from, model);
  // The cost models ignore it.
  Plan fresh = plan;
  fresh.stages[0].init_from.clear();
  EXPECT_DOUBLE_EQ(estimate_plan(plan).total.cost_usd, estimate_plan(fresh).total.cost_usd);
  EXPECT_EQ(plan_to_yaml(load_plan(test::source_path("plans/tiny-cpu.yaml"))).find("init_from"), std::string::npos);
}

}  // namespace
}  // namespace sprout::planner

namespace sprout::planner {
namespace {

TEST(ProfileWriter, HardwareProfilesRoundTripWithTheirSources) {
  for (const auto& name : list_profiles("hardware")) {
    HardwareProfile hw = find_hardware_profile(name);
    const std::string yaml = hardware_profile_to_yaml(hw, {{"peak_tflops", "datasheet"}}, "test");
    EXPECT_NE(yaml.find("peak_tflops: " + fmt::format("{}", hw.peak_tflops) + "  # source: datasheet"),
              std::string::npos)
        << yaml;
    EXPECT_NE(yaml.find("tdp_w: " + fmt::format("{}", hw.tdp_w) + "  # source: test"), std::string::npos);
    const std::string dir = test::make_temp_dir("profile-writer");
    std::ofstream(dir + "/p.yaml") << yaml;
    HardwareProfile back = load_hardware_profile(dir + "/p.yaml");
    EXPECT_EQ(back.name, hw.name);
    EXPECT_EQ(back.gemm_efficiency.size(), hw.gemm_efficiency.size());
    for (size_t i = 0; i < hw.gemm_efficiency.size(); ++i) {
      EXPECT_NEAR(back.gemm_efficiency[i].flops, hw.gemm_efficiency[i].flops, 1e-5 * hw.gemm_efficiency[i].flops);
      EXPECT_EQ(back.gemm_efficiency[i].efficiency, hw.gemm_efficiency[i].efficiency);
    }
    EXPECT_EQ(back.intra_node_gb_per_s, hw.intra_node_gb_per_s);
    EXPECT_EQ(back.mtbf_gpu_hours, hw.mtbf_gpu_hours);
    EXPECT_EQ(back.kernel_overhead_us, hw.kernel_overhead_us);
  }
}

}  // namespace
}  // namespace sprout::planner
