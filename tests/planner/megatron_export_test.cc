// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout export --target megatron`: every flag is one Megatron-LM's parser
// knows (tests/data/megatron/arguments.txt, extracted from its source at
// kMegatronLmCommit by scripts/megatron-argument-names.py), and the values
// for FLM-101B are the plan's.
#include "sprout/planner/export/megatron_export.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

std::set<std::string> megatron_flags() {
  std::ifstream in(test::source_path("tests/data/megatron/arguments.txt"));
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') flags.insert(line);
  }
  return flags;
}

std::map<std::string, std::string> by_flag(const MegatronStage& s) {
  std::map<std::string, std::string> out;
  for (const auto& a : s.arguments) out[a.flag] = a.value;
  return out;
}

struct FlmExport : ::testing::Test {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  PlanEstimate estimate = estimate_plan(plan);
  MegatronExport m = megatron_arguments(plan, estimate);
};

TEST_F(FlmExport, TheListOfMegatronFlagsNamesItsCommit) {
  std::ifstream in(test::source_path("tests/data/megatron/arguments.txt"));
  std::string first;
  std::getline(in, first);
  EXPECT_NE(first.find(kMegatronLmCommit), std::string::npos) << first;
  EXPECT_GT(megatron_flags().size(), 500u);
}

TEST_F(FlmExport, EveryFlagIsInMegatronLmsParser) {
  const std::set<std::string> known = megatron_flags();
  ASSERT_EQ(m.stages.size(), 3u);
  for (const auto& s : m.stages) {
    for (const auto& a : s.arguments) EXPECT_TRUE(known.count(a.flag)) << s.name << ": " << a.flag;
  }
}

TEST_F(FlmExport, ValuesAreThePlans) {
  const auto first = by_flag(m.stages[0]);
  const std::map<std::string, std::string> expected_16b = {
      {"--num-layers", "40"},
      {"--hidden-size", "5632"},
      {"--num-attention-heads", "44"},
      {"--ffn-hidden-size", "22528"},
      {"--seq-length", "2048"},
      {"--max-position-embeddings", "2048"},
      {"--position-embedding-type", "rope"},
      {"--normalization", "LayerNorm"},
      {"--micro-batch-size", "1"},
      {"--global-batch-size", "2304"},  // the plan's 2304 sequences (FLM-101B)
      {"--tensor-model-parallel-size", "2"},
      {"--pipeline-model-parallel-size", "1"},
      {"--use-distributed-optimizer", ""},
      {"--recompute-granularity", "selective"},
      {"--bf16", ""},
      {"--lr", "0.0004"},
      {"--min-lr", "4e-05"},
      {"--lr-decay-style", "cosine"},
      {"--train-samples", "119810304"},  // 52001 iterations x 2304
      {"--lr-decay-samples", "119810304"},
      {"--lr-warmup-samples", "1198080"},  // 1% of the iterations: 520 x 2304
      {"--hidden-dropout", "0.1"},
      {"--attention-dropout", "0.1"},
  };
  for (const auto& [flag, value] : expected_16b) {
    ASSERT_TRUE(first.count(flag)) << flag;
    EXPECT_EQ(first.at(flag), value) << flag;
  }
  for (const char* absent : {"--sequence-parallel", "--swiglu", "--group-query-attention",
                             "--num-virtual-stages-per-pipeline-rank", "--untie-embeddings-and-output-weights"}) {
    EXPECT_FALSE(first.count(absent)) << absent;
  }
  const auto last = by_flag(m.stages[2]);
  EXPECT_EQ(last.at("--num-layers"), "80");
  EXPECT_EQ(last.at("--hidden-size"), "10240");
  EXPECT_EQ(last.at("--tensor-model-parallel-size"), "4");
  EXPECT_EQ(last.at("--pipeline-model-parallel-size"), "4");
  EXPECT_EQ(last.at("--global-batch-size"), "2160");  // the plan's global_batch_sequences (FLM-101B)
  EXPECT_EQ(last.at("--lr"), "0.0002");
  EXPECT_EQ(m.stages[1].script, "stage-2-51b.sh");
  EXPECT_EQ(m.stages[1].log, "stage-2-51b.log");
}

TEST_F(FlmExport, AnRmsNormPlanAsksMegatronForRmsNormAndFusedAttention) {
  Plan rms = plan;
  for (auto& st : rms.stages) {
    st.shape.norm = Norm::kRmsNorm;
    st.attention = AttentionKernel::kFlash;
  }
  const auto first = by_flag(megatron_arguments(rms, estimate_plan(rms)).stages[0]);
  EXPECT_EQ(first.at("--normalization"), "RMSNorm");
  EXPECT_EQ(first.at("--attention-backend"), "flash");
  EXPECT_EQ(by_flag(m.stages[0]).at("--attention-backend"), "unfused");
}

TEST_F(FlmExport, XposBecomesRopeWithAWarning) {
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("Megatron-LM has no xPos"), std::string::npos);
  for (const auto& a : m.stages[0].arguments) {
    if (a.flag == "--position-embedding-type") {
      EXPECT_NE(a.comment.find("xPos"), std::string::npos);
    }
  }
}

TEST_F(FlmExport, ScriptsUseOnlyKnownFlagsAndTheReadmeExplainsGrowth) {
  const std::string dir = test::make_temp_dir("megatron-export");
  ExportOptions o;
  o.target = ExportTarget::kMegatron;
  o.out_dir = dir;
  const ExportResult r = export_plan(plan, estimate, o);
  EXPECT_EQ(r.nodes, 24);  // 192 A800s, 8 per node
  EXPECT_EQ(r.warnings, m.warnings);
  const std::set<std::string> known = megatron_flags();
  const std::set<std::string> torchrun = {"--nnodes", "--nproc-per-node", "--node-rank", "--master-addr",
                                          "--master-port"};
  const std::regex flag("(^|[ (\"])(--[a-z][a-z0-9-]*)");
  for (const auto& s : m.stages) {
    const std::string script = read_file(dir + "/" + s.script);
    // The shell words, comments left out.
    std::string code;
    std::istringstream lines(script);
    for (std::string line; std::getline(lines, line);) code += line.substr(0, line.find('#')) + "\n";
    size_t seen = 0;
    for (std::sregex_iterator it(code.begin(), code.end(), flag), end; it != end; ++it) {
      const std::string f = (*it)[2];
      if (torchrun.count(f)) continue;
      EXPECT_TRUE(known.count(f)) << s.script << ": " << f;
      ++seen;
    }
    EXPECT_GT(seen, 30u);
    EXPECT_NE(script.find("pretrain_gpt.py"), std::string::npos);
    EXPECT_NE(script.find("tee -a \"$LOG_DIR/" + s.log + "\""), std::string::npos);
  }
  const std::string readme = read_file(dir + "/README.md");
  for (const char* text : {"Megatron-LM\nhas no growth operators", "GROWN_CHECKPOINT", "from scratch", "--megatron-log",
                           kMegatronLmCommit, "no xPos"}) {
    EXPECT_NE(readme.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace sprout::planner
