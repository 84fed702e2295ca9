// SPDX-License-Identifier: GPL-3.0-or-later
// No silent ignore, on sprout-train's side (docs/backend.md "Plan keys"):
// every key of plan_schema_keys(), set in a small base plan to a value other
// than the base's, is
// - honoured: the run changes (its telemetry, summary.json or checkpoints),
// - or, for keys the trainer may refuse, refused: exit 2 with
//   `walk-N.yaml:line:col: <key>: why`,
// - or, for planner-only keys, without effect: the run is exactly the base's.
// Keys whose example is the base's own value are the required ones
// (tests/planner/plan_schema_test.cc proves that) and are not run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "plan_key_edit.h"
#include "rank_processes.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_schema.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
using planner::TrainerUse;

// 2 stages of 4 steps (16 sequences of 64 bytes) on one process, 2 threads.
const char* const kBase =
    "name: walk\nhardware: h100-sxm\ngpus: 1\nregion: us-average\nmodel: {vocab: 256, seq_len: 64}\n"
    "training: {seed: 3, eval_every_steps: 4, eval_batches: 1, checkpoint_every_steps: 4, keep_checkpoints: 3,\n"
    "           log_every_steps: 1, threads: 2}\nstages:\n"
    "  - {name: a, layers: 2, hidden: 64, heads: 4, tokens: 4096, global_batch_tokens: 1024, lr: 1e-3}\n"
    "  - {name: b, layers: 2, hidden: 64, heads: 4, tokens: 4096, global_batch_tokens: 1024, lr: 1e-3}\n";

bool is_layout_key(const std::string& path) { return path.rfind("stages[].parallel.", 0) == 0; }
bool is_pipeline_split_key(const std::string& path) {
  return path == "stages[].parallel.pp_layers" || path == "stages[].parallel.first_stage_layers" ||
         path == "stages[].parallel.last_stage_layers";
}

// The processes a key's runs start: the base's gpus (the plan's own may differ: it is planner-only).
int ranks_for(const std::string& path) { return is_layout_key(path) ? 4 : 1; }

// The base each key is walked from: a growth for the grow: keys, a layout on
// every stage for the parallel: keys, a guard that fires for the spike: keys.
YAML::Node base_for(const std::string& path, const std::string& data) {
  YAML::Node doc = YAML::Load(kBase);
  doc["training"]["data"] = data;
  if (path.rfind("stages[].grow.", 0) == 0) {
    doc["stages"][1] = YAML::Load(
        "{name: b, layers: 4, hidden: 128, heads: 8, tokens: 4096, global_batch_tokens: 1024, lr: 1e-3,"
        " grow: {width: true, depth: true, grow_steps: 4}}");
  }
  if (is_layout_key(path)) {
    // On 4 processes: sequence parallelism and ZeRO-1 do nothing with tp = 1
    // or dp = 1. The pipeline-split keys get two pipeline ranks of 4 blocks,
    // split 2 + 2 unless the key says otherwise.
    doc["gpus"] = 4;
    const bool split = is_pipeline_split_key(path);
    const char* const layout =
        split ? "{tp: 1, pp: 2, dp: 2, micro_batch: 1, distributed_optimizer: true}"
              : "{tp: 2, pp: 1, dp: 2, micro_batch: 1, sequence_parallel: false, distributed_optimizer: true}";
    for (auto st : doc["stages"]) {
      if (split) st["layers"] = 4;
      st["parallel"] = YAML::Load(layout);
    }
  }
  if (path.rfind("training.spike.", 0) == 0) {
    // A loss that jumps about (lr 0.05) and a guard that judges it after 2 steps.
    doc["training"]["spike"] = YAML::Load("{z: 0.5, window: 2}");
    for (auto st : doc["stages"]) st["lr"] = 0.05;
  }
  return doc;
}

// Where the planner's example shows nothing in a run of 8 steps on a CPU:
// the value the trainer walk sets instead. `trained_model`: a run of the
// first stage's shape to start from.
std::string trainer_example(const planner::PlanSchemaKey& k, const std::string& trained_model) {
  if (k.path == "stages[0].init_from") return trained_model;
  if (k.path == "training.device") return "cuda";          // cpu is what auto picks here
  if (k.path == "stages[].grow.grow_steps") return "2";    // the example (40) is longer than the stage
  if (k.path == "stages[].tokens") return "8192";          // 8 steps, not 128
  if (k.path == "stages[].warmup_fraction") return "0.5";  // 0.1 of 4 steps is no step
  if (k.path == "stages[].parallel.tp" || k.path == "stages[].parallel.dp") return "1";  // the base's is 2
  return k.example;
}

// The run without what differs between two runs of one plan (times, rates,
// energy from wall time, memory, provenance).
nlohmann::json fingerprint(const std::string& run) {
  static const std::set<std::string> volatile_keys = {
      "time",           "compute_s",    "optimizer_s",       "reduce_s",
      "wait_s",         "tokens_per_s", "tflops_per_gpu",    "energy_j",
      "exposed_comm_s", "provenance",   "peak_memory_bytes", "activation_peak_bytes",
      "wall_seconds",   "gpu_hours",    "energy_kwh",        "eta_s"};
  auto strip = [&](nlohmann::json j) {
    for (const auto& key : volatile_keys) j.erase(key);
    return j;
  };
  nlohmann::json f;
  for (nlohmann::json record : test::read_telemetry(run)) {
    if (record.contains("path")) record["path"] = std::filesystem::path(record["path"]).filename().string();
    f["telemetry"].push_back(strip(record));
  }
  nlohmann::json summary = strip(nlohmann::json::parse(planner::read_file(run + "/summary.json")));
  for (auto& stage : summary["stages"]) stage = strip(stage);
  summary["total"] = strip(summary["total"]);
  f["summary"] = summary;
  std::set<std::string> checkpoints;
  for (const auto& e : std::filesystem::directory_iterator(run + "/checkpoints")) {
    checkpoints.insert(e.path().filename().string());
  }
  f["checkpoints"] = checkpoints;
  return f;
}

class PlanKeysOnTheTrainer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("plan-keys");
    test::write_tiny_corpus(dir_ + "/text.txt");
    // training.data's example names corpus.txt beside the plan: other text.
    std::string other = planner::read_file(dir_ + "/text.txt");
    std::reverse(other.begin(), other.end());
    planner::write_file_atomically(dir_ + "/corpus.txt", other);
    auto r = sprout::test::run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ +
                                       "/text.txt --out " + dir_ + "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  struct Run {
    sprout::test::CommandResult result;
    std::string dir;
    std::string plan;
  };

  // `ranks` processes (over Gloo when more than one): rank 0's exit code and
  // stderr; every rank must agree.
  static Run train(const YAML::Node& doc, int ranks) {
    const std::string name = "walk-" + std::to_string(runs_++);
    Run run{{}, dir_ + "/" + name, dir_ + "/" + name + ".yaml"};
    planner::write_file_atomically(run.plan, sprout::test::yaml_text(doc));
    const std::string command =
        sprout::test::sprout_train_cmd() + " --plan " + run.plan + " --out " + run.dir + " --quiet";
    if (ranks == 1) {
      run.result = sprout::test::run_command(command);
      return run;
    }
    test::RankProcesses p(ranks, command, run.dir + ".log");
    const std::vector<int> codes = p.wait_all(120);
    for (int r = 1; r < ranks; ++r) EXPECT_EQ(codes[static_cast<size_t>(r)], codes[0]) << name << " rank " << r;
    run.result.exit_code = codes[0];
    run.result.err = p.log(0);
    return run;
  }

  struct BaseRun {
    std::string dir;
    nlohmann::json fingerprint;
  };

  // The base run for `path` (one run per kind of base).
  static const BaseRun& base_run(const std::string& path) {
    const std::string text = sprout::test::yaml_text(base_for(path, data()));
    auto it = bases_.find(text);
    if (it == bases_.end()) {
      const Run run = train(base_for(path, data()), ranks_for(path));
      EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
      it = bases_.emplace(text, BaseRun{run.dir, run.result.exit_code == 0 ? fingerprint(run.dir) : nlohmann::json()})
               .first;
    }
    return it->second;
  }
  static const nlohmann::json& base_fingerprint(const std::string& path) { return base_run(path).fingerprint; }

  static std::string data() { return dir_ + "/data"; }
  static inline std::string dir_;
  static inline int runs_ = 0;
  static inline std::map<std::string, BaseRun> bases_;
};

TEST_F(PlanKeysOnTheTrainer, TwoRunsOfOnePlanHaveOneFingerprint) {
  const Run again = train(base_for("", data()), 1);
  ASSERT_EQ(again.result.exit_code, 0) << again.result.err;
  EXPECT_EQ(fingerprint(again.dir), base_fingerprint(""));
  EXPECT_GE(fingerprint(again.dir)["telemetry"].size(), 8u);
}

TEST_F(PlanKeysOnTheTrainer, EveryKeyIsHonouredRefusedOrPlannerOnly) {
  int honoured = 0, refused = 0, planner_only = 0, required = 0;
  for (const auto& k : planner::plan_schema_keys()) {
    const std::string example = trainer_example(k, base_run("").dir);
    SCOPED_TRACE(k.path + " = " + example);
    YAML::Node doc = base_for(k.path, data());
    sprout::test::edit_plan_key(doc, k.path, example);
    if (sprout::test::yaml_text(doc) == sprout::test::yaml_text(base_for(k.path, data()))) {
      ++required;  // the base's own value: a key the plan cannot do without
      continue;
    }
    const nlohmann::json& base = base_fingerprint(k.path);
    const Run run = train(doc, ranks_for(k.path));
    const std::string& err = run.result.err;
    if (run.result.exit_code == 2) {
      // One line: the plan, the line and column, the key (or the mapping it is in), why.
      const std::string leaf = k.path.substr(k.path.rfind('.') + 1);
      const std::string parent = k.path.substr(0, k.path.rfind('.'));
      const std::string mapping = parent.substr(parent.rfind('.') + 1);
      const std::regex located(std::regex_replace(run.plan, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                               ":[1-9][0-9]*:[0-9]+: [^\n]*(" + leaf + "|" + mapping + ")");
      EXPECT_TRUE(std::regex_search(err, located)) << "refused without naming the plan line and key: " << err;
      EXPECT_EQ(k.trainer_use, TrainerUse::kRefused) << "an honoured or planner-only key was refused: " << err;
      ++refused;
      continue;
    }
    ASSERT_EQ(run.result.exit_code, 0) << err;
    const bool changed = fingerprint(run.dir) != base;
    if (k.trainer_use == TrainerUse::kPlannerOnly) {
      EXPECT_FALSE(changed) << "a planner-only key changed the run";
      ++planner_only;
    } else {
      EXPECT_TRUE(changed) << "the trainer neither followed nor refused the key";
      ++honoured;
    }
  }
  std::printf("plan keys on sprout-train: %d honoured, %d refused, %d planner-only, %d required\n", honoured, refused,
              planner_only, required);
  EXPECT_EQ(honoured + refused + planner_only + required, static_cast<int>(planner::plan_schema_keys().size()));
  EXPECT_GE(honoured, 40);
}

}  // namespace
}  // namespace sprout::backend
