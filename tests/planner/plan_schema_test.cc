// SPDX-License-Identifier: GPL-3.0-or-later
// No silent ignore: every key the plan loader reads has a decision in
// plan_schema_keys() and a row in docs/backend.md, and every key is read:
// its example value loads and changes the plan, or the key is required.
#include "sprout/planner/io/plan_schema.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>

#include "plan_key_edit.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

std::string leaf_of(const std::string& path) { return path.substr(path.rfind('.') + 1); }

// Key names the loader asks YamlFields for, read from its source.
std::set<std::string> keys_read_by_the_loader() {
  const std::string source = read_file(test::source_path("planner/src/io/plan_loader.cc"));
  static const std::regex call(
      R"re(\b\w+\.(?:optional_)?(?:integer_list|integer|number|text|boolean|choice|child|enum<\w+>)\(\s*"(\w+)")re");
  std::set<std::string> keys;
  for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) keys.insert((*it)[1]);
  // Mappings, and the entries of a `training.data` blend ([{path, weight}], the training.data row).
  for (const char* container :
       {"model", "training", "stages", "parallel", "throughput", "grow", "spike", "path", "weight"}) {
    keys.erase(container);
  }
  return keys;
}

TEST(PlanSchema, EveryKeyTheLoaderReadsHasADecisionAndNoRowIsStale) {
  const std::set<std::string> read = keys_read_by_the_loader();
  ASSERT_GT(read.size(), 40u);
  std::set<std::string> listed;
  for (const auto& k : plan_schema_keys()) listed.insert(leaf_of(k.path));
  for (const auto& key : read) EXPECT_TRUE(listed.count(key)) << key << " is read but has no plan_schema_keys() row";
  for (const auto& key : listed) EXPECT_TRUE(read.count(key)) << key << " is listed but the loader never reads it";
}

TEST(PlanSchema, DocsBackendTablesEveryKeyWithItsTrainerUse) {
  const std::string docs = read_file(test::source_path("docs/backend.md"));
  for (const auto& k : plan_schema_keys()) {
    const std::string row = "| `" + k.path + "` | " + to_string(k.trainer_use) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/backend.md lacks the row " << row;
  }
}

// Tiny plans to set each key in: two identical stages; the same with a
// layout on each stage (loaded with --gpus 4 so DP rescales around tp/pp);
// a width-and-depth growth for the grow: keys.
const char* const kFlat =
    "name: walk\nhardware: h100-sxm\ngpus: 2\nregion: us-average\nmodel: {vocab: 256, seq_len: 64}\nstages:\n"
    "  - {name: a, layers: 2, hidden: 64, heads: 4, tokens: 65536, global_batch_tokens: 1024, lr: 1e-3}\n"
    "  - {name: b, layers: 2, hidden: 64, heads: 4, tokens: 65536, global_batch_tokens: 1024, lr: 1e-3}\n";
const char* const kGrowth =
    "name: walk\nhardware: h100-sxm\ngpus: 2\nregion: us-average\nmodel: {vocab: 256, seq_len: 64}\nstages:\n"
    "  - {name: a, layers: 2, hidden: 64, heads: 4, tokens: 65536, global_batch_tokens: 1024, lr: 1e-3}\n"
    "  - {name: b, layers: 4, hidden: 128, heads: 8, tokens: 65536, global_batch_tokens: 1024, lr: 1e-3,\n"
    "     grow: {width: true, depth: true}}\n";

YAML::Node base_for(const std::string& path) {
  if (path.rfind("stages[].grow.", 0) == 0) return YAML::Load(kGrowth);
  YAML::Node doc = YAML::Load(kFlat);
  if (path.rfind("stages[].parallel.", 0) == 0) {
    for (auto st : doc["stages"]) {
      st["layers"] = 4;
      // ZeRO-3 is modelled without pipelining; shard_ranks needs fully_sharded.
      const bool zero3 = path.find("sharded") != std::string::npos || path.find("shard_ranks") != std::string::npos;
      st["parallel"] =
          YAML::Load(zero3 ? "{tp: 1, pp: 1, dp: 4, micro_batch: 1}" : "{tp: 1, pp: 2, dp: 2, micro_batch: 1}");
      if (path.find("shard_ranks") != std::string::npos) st["parallel"]["fully_sharded"] = true;
    }
  }
  return doc;
}

Plan load(const YAML::Node& doc, const std::string& path) {
  ClusterOverrides o;
  if (path.rfind("stages[].parallel.", 0) == 0) o.gpus = 4;
  return load_plan_from_string(test::yaml_text(doc), "walk.yaml", o);
}

TEST(PlanSchema, EveryKeyLoadsAndChangesThePlanOrIsRequired) {
  for (const auto& k : plan_schema_keys()) {
    SCOPED_TRACE(k.path);
    const std::string before = plan_to_yaml(load(base_for(k.path), k.path));
    YAML::Node with = base_for(k.path);
    test::edit_plan_key(with, k.path, k.example);
    std::string after;
    try {
      after = plan_to_yaml(load(with, k.path));
    } catch (const InputError& e) {
      ADD_FAILURE() << k.path << ": " << k.example << " refused: " << e.what();
      continue;
    }
    if (after != before) continue;
    // The example is the base's own value: the key must then be one the
    // plan cannot do without.
    YAML::Node without = base_for(k.path);
    test::edit_plan_key(without, k.path, std::nullopt);
    EXPECT_THROW(load(without, k.path), InputError) << k.path << " neither changes the plan nor is required";
  }
}

}  // namespace
}  // namespace sprout::planner
