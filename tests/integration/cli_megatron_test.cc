// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM both ways through the `sprout` binary: `export --target
// megatron` writes scripts that launch pretrain_gpt.py (run here against a
// stub torchrun), and `compare --megatron-log` reads Megatron-LM's logs
// (tests/data/megatron, in its training loop's format); `--version`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout {
namespace {

namespace fs = std::filesystem;

std::string flm_plan() { return test::source_path("plans/flm-101b.yaml"); }
std::string log(const std::string& name) { return test::source_path("tests/data/megatron/" + name); }
std::string stage_logs() {
  return log("stage-1-16b.log") + " " + log("stage-2-51b.log") + " " + log("stage-3-101b.log");
}

TEST(CliMegatron, ExportWarnsAboutXposAndItsScriptsLaunchPretrainGpt) {
  const std::string dir = test::make_temp_dir("megatron-cli");
  auto r = test::run_command(test::sprout_cmd() + " export " + flm_plan() + " --target megatron --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("warning: the plan uses xPos", 0), 0u) << r.err;
  for (const char* f : {"plan.yaml", "README.md", "stage-1-16b.sh", "stage-2-51b.sh", "stage-3-101b.sh"}) {
    EXPECT_TRUE(fs::exists(dir + "/out/" + f)) << f;
  }
  // A stub torchrun records its arguments; the script runs as on a node.
  fs::create_directories(dir + "/bin");
  std::ofstream(dir + "/bin/torchrun")
      << "#!/bin/bash\nprintf '%s\\n' \"$@\" > \"$STUB_ARGS\"\necho ' iteration 1/2 |'\n";
  fs::permissions(dir + "/bin/torchrun", fs::perms::owner_all);
  auto run =
      test::run_command("cd " + dir + " && PATH=" + dir + "/bin:$PATH MEGATRON_LM=/opt/Megatron-LM STUB_ARGS=" + dir +
                        "/args.txt bash out/stage-2-51b.sh");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::ifstream in(dir + "/args.txt");
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a);) args.push_back(a);
  auto after = [&](const std::string& flag) {
    const auto it = std::find(args.begin(), args.end(), flag);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : std::string("(absent)");
  };
  EXPECT_EQ(after("--nnodes"), "24");
  EXPECT_EQ(after("--nproc-per-node"), "8");
  EXPECT_NE(std::find(args.begin(), args.end(), "/opt/Megatron-LM/pretrain_gpt.py"), args.end());
  EXPECT_EQ(after("--num-layers"), "40");
  EXPECT_EQ(after("--hidden-size"), "10240");
  EXPECT_EQ(after("--tensor-model-parallel-size"), "4");
  EXPECT_EQ(after("--pipeline-model-parallel-size"), "2");
  EXPECT_EQ(after("--tokenizer-type"), "NullTokenizer");  // mock data unless DATA_ARGS says otherwise
  EXPECT_EQ(after("--load"), "checkpoints/51b");
  EXPECT_TRUE(fs::exists(dir + "/logs/stage-2-51b.log"));  // tee'd for sprout compare --megatron-log
}

TEST(CliMegatron, CompareReadsTheLogsLikeARunDirectory) {
  auto table = test::run_command(test::sprout_cmd() + " compare " + flm_plan() + " --megatron-log " + stage_logs());
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* text : {"IN PROGRESS", "192 ranks", "16B", "51B", "101B (50%)", "wall time", "TFLOP/s per GPU"}) {
    EXPECT_NE(table.out.find(text), std::string::npos) << text << "\n" << table.out;
  }
  auto json = test::run_command(test::sprout_cmd() + " compare " + flm_plan() + " --format json --megatron-log " +
                                stage_logs());
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["stages"].size(), 3u);
  EXPECT_NEAR(j["stages"][0]["metrics"]["wall_seconds"]["actual"].get<double>(), 52000 * 19.0, 1e-6);
  EXPECT_TRUE(j["in_progress"].get<bool>());
}

TEST(CliMegatron, BadLogsExitTwoNamingTheFile) {
  for (const std::string name : {"no-iterations.log", "other-model.log"}) {
    auto r = test::run_command(test::sprout_cmd() + " compare " + flm_plan() + " --megatron-log " + log(name));
    EXPECT_EQ(r.exit_code, 2) << name << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(log(name)), std::string::npos) << r.err;
  }
  auto neither = test::run_command(test::sprout_cmd() + " compare " + flm_plan());
  EXPECT_EQ(neither.exit_code, 2) << neither.err;
  auto both =
      test::run_command(test::sprout_cmd() + " compare " + flm_plan() + " somewhere --megatron-log " + log("x.log"));
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

TEST(CliVersion, EveryProgramPrintsItsVersionAndCommit) {
  const std::regex line("^(sprout|sprout-train|sprout-gui) \\d+\\.\\d+\\.\\d+ \\(commit [^)]+\\)\n$");
  std::vector<std::string> programs = {test::sprout_cmd()};
  for (const char* other : {"backend/sprout-train", "gui/sprout-gui"}) {
    if (fs::exists(test::binary_path(other))) programs.push_back(test::binary_path(other));
  }
  for (const auto& p : programs) {
    auto r = test::run_command("QT_QPA_PLATFORM=offscreen " + p + " --version");
    EXPECT_EQ(r.exit_code, 0) << p << "\n" << r.err;
    EXPECT_TRUE(std::regex_match(r.out, line)) << p << ": '" << r.out << "'";
    EXPECT_EQ(r.out.rfind(fs::path(p).filename().string() + " ", 0), 0u) << r.out;
  }
}

}  // namespace
}  // namespace sprout
