// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train export --format hf` end to end: a tiny growth run exported in
// the GPT-2 layout and one in the Llama layout (rotary, RMSNorm, SwiGLU, GQA)
// are read back by tests/backend/hf_numpy_forward.py (its own safetensors
// reader and a NumPy forward, no LibTorch), whose loss on the validation
// windows equals sprout-train's last evaluation within 1e-3. A run started
// with --init-from the export (or the sprout run itself) evaluates, before its
// first step, to the source's last validation loss within 1e-5 (so does one
// whose plan names the export in its first stage's init_from), and a
// safetensors header that lies is refused with exit 2 before anything is written.
// SentencePiece data exports its tokenizer.model beside the model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "numpy_forward.h"
#include "sanitizer_build.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;

// 1x32 (4 heads, 2 KV heads) -> depth 2x32 on rotary, RMSNorm and SwiGLU.
std::string llama_plan_yaml() {
  return "name: e2e tiny llama\nhardware: cpu-generic\ngpus: 1\nregion: us-average\npower_model: typical\n"
         "model: {vocab: 256, seq_len: 32, activation: swiglu, position_embedding: rotary, norm: rmsnorm}\n"
         "training: {seed: 5, eval_every_steps: 4, eval_batches: 2, checkpoint_every_steps: 3, keep_checkpoints: 2, "
         "log_every_steps: 1, device: cpu}\n"
         "stages:\n"
         "  - {name: small, layers: 1, hidden: 32, heads: 4, kv_heads: 2, tokens: 4096, global_batch_tokens: 512, "
         "lr: 3e-3, warmup_fraction: 0.25}\n"
         "  - {name: deep, grow: {depth: true, grow_steps: 4}, layers: 2, hidden: 32, heads: 4, kv_heads: 2, "
         "tokens: 4096, global_batch_tokens: 512, lr: 2e-3, warmup_fraction: 0.25}\n";
}

class HfExportE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("hf-export");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Trains `plan_yaml` into dir_/NAME, exports it to dir_/NAME-hf; returns the run directory.
  static std::string train_and_export(const std::string& name, const std::string& plan_yaml) {
    const std::string run = dir_ + "/" + name, plan = dir_ + "/" + name + ".yaml";
    planner::write_file_atomically(plan, plan_yaml);
    auto r = run_command(sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " +
                         run + " --threads 1 --quiet");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_command(sprout::test::sprout_train_cmd() + " export --checkpoint " + run + " --format hf --out " + run +
                    "-hf");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return run;
  }

  // The NumPy forward's loss against the run's last evaluation.
  static void expect_numpy_loss_equal(const std::string& run, const std::string& layout) {
    const auto numpy = test::expect_export_loss_equal(run, dir_ + "/data/val.bin", layout);
    if (numpy.is_null()) GTEST_SKIP() << "no python3 with NumPy (Debian: python3-numpy), or it failed";
    EXPECT_EQ(numpy["layout"], layout);
  }

  // The trained and exported GPT-2-layout run (once per suite).
  static std::string gpt2_run() {
    if (!fs::exists(dir_ + "/gpt2-hf/config.json")) train_and_export("gpt2", test::tiny_growth_plan_yaml({}));
    return dir_ + "/gpt2";
  }

  // A 2-stage plan whose first stage has the tiny run's final shape (2x64,
  // 4 heads), then grows in depth; 2 steps per stage, starting from
  // `init_from` (--init-from, unless ""); `first_keys` / `second_keys` are
  // added to the stages (line 9 and 10 of the plan).
  static std::string grow_from(const std::string& name, const std::string& init_from, int expect = 0,
                               const std::string& first_keys = "", const std::string& second_keys = "") {
    const std::string plan = dir_ + "/" + name + ".yaml", run = dir_ + "/" + name;
    planner::write_file_atomically(
        plan,
        "name: e2e init_from\nhardware: cpu-generic\ngpus: 1\nregion: us-average\npower_model: typical\n"
        "model: {vocab: 256, seq_len: 32, activation: gelu}\n"
        "training: {seed: 9, eval_every_steps: 4, eval_batches: 2, checkpoint_every_steps: 100, device: cpu}\n"
        "stages:\n"
        "  - {name: imported, layers: 2, hidden: 64, heads: 4, tokens: 1024, global_batch_tokens: 512, lr: 1e-3" +
            first_keys +
            "}\n"
            "  - {name: deeper, grow: {depth: true, grow_steps: 1}, layers: 3, hidden: 64, heads: 4, tokens: 1024, "
            "global_batch_tokens: 512, lr: 1e-3" +
            second_keys + "}\n");
    last_ = run_command(sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " +
                        run + " --threads 1 --quiet" + (init_from.empty() ? "" : " --init-from " + init_from));
    EXPECT_EQ(last_.exit_code, expect) << last_.err;
    return run;
  }

  // The validation loss a run logged before its first step.
  static double start_val_loss(const std::string& run) {
    for (const auto& j : test::read_telemetry(run)) {
      if (j.value("event", "") == "eval" && j["step"] == 0) return j["val_loss"].get<double>();
    }
    ADD_FAILURE() << run << ": no eval at step 0";
    return 0;
  }

  static inline std::string dir_;
  static inline sprout::test::CommandResult last_;
};

TEST_F(HfExportE2E, Gpt2LayoutLossMatchesAnIndependentNumpyForward) {
  const std::string run = gpt2_run();
  const auto config = nlohmann::json::parse(planner::read_file(run + "-hf/config.json"));
  EXPECT_EQ(config["model_type"], "gpt2");
  EXPECT_EQ(config["n_layer"], 2);
  EXPECT_EQ(config["n_embd"], 64);
  expect_numpy_loss_equal(run, "gpt2");
}

TEST_F(HfExportE2E, LlamaLayoutLossMatchesAnIndependentNumpyForward) {
  const std::string run = train_and_export("llama", llama_plan_yaml());
  const auto config = nlohmann::json::parse(planner::read_file(run + "-hf/config.json"));
  EXPECT_EQ(config["model_type"], "llama");
  EXPECT_EQ(config["num_key_value_heads"], 2);
  EXPECT_EQ(config["num_attention_heads"], 4);
  expect_numpy_loss_equal(run, "llama");
}

TEST_F(HfExportE2E, SentencePieceDataExportsItsTokenizerBesideTheModel) {
  if (sprout::test::kAddressSanitizer) GTEST_SKIP() << sprout::test::kNoSentencePieceUnderSanitizers;
  auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                       "/spm --tokenizer sentencepiece --vocab 100 --chunk-tokens 1024 --validation-every 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string plan = test::tiny_growth_plan_yaml({});
  plan.replace(plan.find("vocab: 256"), 10, "vocab: 128");  // 100 pieces, padded to a multiple of 128
  planner::write_file_atomically(dir_ + "/spm.yaml", plan);
  const std::string run = dir_ + "/spm-run";
  r = run_command(sprout::test::sprout_train_cmd() + " --plan " + dir_ + "/spm.yaml --data " + dir_ + "/spm --out " +
                  run + " --threads 1 --quiet --stop-after-steps 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command(sprout::test::sprout_train_cmd() + " export --checkpoint " + run + " --format hf --data " + dir_ +
                  "/spm --out " + run + "-hf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The model file the data was tokenized with, byte for byte, and a config naming it.
  EXPECT_EQ(planner::read_file(run + "-hf/tokenizer.model"), planner::read_file(dir_ + "/spm/tokenizer.model"));
  const auto config = nlohmann::json::parse(planner::read_file(run + "-hf/tokenizer_config.json"));
  const auto record = nlohmann::json::parse(planner::read_file(dir_ + "/spm/tokenizer.json"));
  EXPECT_EQ(config["tokenizer_class"], "LlamaTokenizer");
  EXPECT_EQ(config["sprout_vocab"], 100);
  EXPECT_EQ(config["sprout_model_sha256"], record["model_sha256"]);
  EXPECT_EQ(nlohmann::json::parse(planner::read_file(run + "-hf/config.json"))["vocab_size"], 128);
  // Byte-level data has no tokenizer file to export.
  EXPECT_FALSE(fs::exists(gpt2_run() + "-hf/tokenizer.model"));
}

TEST_F(HfExportE2E, XposAndMissingCheckpointsAreRefusedWithExit2) {
  const std::string plan = dir_ + "/xpos.yaml", run = dir_ + "/xpos";
  test::TinyGrowthPlan p;
  p.model_extra = ", position_embedding: xpos";
  planner::write_file_atomically(plan, test::tiny_growth_plan_yaml(p));
  auto r = run_command(sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " + run +
                       " --threads 1 --quiet --stop-after-steps 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command(sprout::test::sprout_train_cmd() + " export --checkpoint " + run + " --format hf --out " + run +
                  "-hf");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("xPos has no Hugging Face layout"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(run + "-hf/model.safetensors"));
  r = run_command(sprout::test::sprout_train_cmd() + " export --checkpoint " + dir_ + "/nowhere --format hf --out " +
                  dir_ + "/nowhere-hf");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--checkpoint"), std::string::npos) << r.err;
}

TEST_F(HfExportE2E, GrowingFromTheExportStartsAtTheSourceLoss) {
  const std::string source = gpt2_run();
  const double source_loss =
      nlohmann::json::parse(planner::read_file(source + "/summary.json"))["total"]["final_val_loss"].get<double>();
  const double from_hf = start_val_loss(grow_from("from-hf", source + "-hf"));
  const double from_file = start_val_loss(grow_from("from-file", source + "-hf/model.safetensors"));
  const double from_sprout = start_val_loss(grow_from("from-sprout", source));
  std::cout << std::setprecision(9) << "source val loss " << source_loss << "; step-0 eval from the export " << from_hf
            << ", from its file " << from_file << ", from the sprout run " << from_sprout << "\n";
  EXPECT_NEAR(from_hf, source_loss, 1e-5);
  EXPECT_NEAR(from_file, source_loss, 1e-5);
  EXPECT_NEAR(from_sprout, source_loss, 1e-5);
  const auto summary = nlohmann::json::parse(planner::read_file(dir_ + "/from-hf/summary.json"));
  EXPECT_TRUE(summary["complete"].get<bool>());  // and the growth schedule ran on from there
}

TEST_F(HfExportE2E, ThePlanKeyInitFromStartsAtTheSourceLossAndIsCheckedAtItsLine) {
  const std::string source = gpt2_run();
  const double source_loss =
      nlohmann::json::parse(planner::read_file(source + "/summary.json"))["total"]["final_val_loss"].get<double>();
  // Relative to the plan's folder (dir_), as training.data is.
  const std::string run = grow_from("from-key", "", 0, ", init_from: gpt2-hf");
  const double from_key = start_val_loss(run);
  std::cout << std::setprecision(9) << "source val loss " << source_loss << "; step-0 eval from the plan key "
            << from_key << "\n";
  EXPECT_NEAR(from_key, source_loss, 1e-5);
  // The run's plan copy names the model resolved, so sprout status/compare read it from anywhere.
  EXPECT_EQ(planner::load_plan(run + "/plan.yaml").stages.front().init_from,
            fs::absolute(source + "-hf").lexically_normal().string());
  // --init-from overrides the key (which names a directory that is no model).
  EXPECT_NEAR(start_val_loss(grow_from("from-key-flag", source, 0, ", init_from: data")), source_loss, 1e-5);
  // On a later stage, or a path that is not there: exit 2 at the key's line, nothing written.
  std::string bad = grow_from("key-later", "", 2, "", ", init_from: gpt2-hf");
  EXPECT_NE(last_.err.find("key-later.yaml:10:"), std::string::npos) << last_.err;
  EXPECT_NE(last_.err.find("stages[1].init_from: only the first stage"), std::string::npos) << last_.err;
  EXPECT_FALSE(fs::exists(bad));
  bad = grow_from("key-missing", "", 2, ", init_from: gpt2-gone");
  EXPECT_NE(last_.err.find("key-missing.yaml:9:"), std::string::npos) << last_.err;
  EXPECT_NE(last_.err.find("stages[0].init_from: " + dir_ + "/gpt2-gone: no such file"), std::string::npos)
      << last_.err;
  EXPECT_FALSE(fs::exists(bad));
}

TEST_F(HfExportE2E, ABadInitFromExitsTwoAndWritesNothing) {
  const std::string source = gpt2_run();
  // A header whose data_offsets claim more bytes than the shape needs.
  const std::string lying = dir_ + "/lying";
  fs::create_directories(lying);
  fs::copy_file(source + "-hf/config.json", lying + "/config.json");
  std::string bytes = planner::read_file(source + "-hf/model.safetensors");
  const std::string claim = "\"transformer.ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[64]";
  const auto at = bytes.find(claim);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at + claim.size() - 3, 2, "65");  // shape [65]: 260 bytes, but data_offsets span 256
  planner::write_file_atomically(lying + "/model.safetensors", bytes);
  std::string run = grow_from("from-lying", lying, 2);
  EXPECT_NE(last_.err.find("model.safetensors"), std::string::npos) << last_.err;
  EXPECT_NE(last_.err.find("tensors.transformer.ln_f.bias.data_offsets"), std::string::npos) << last_.err;
  EXPECT_FALSE(fs::exists(run));
  // Another shape: exit 2 naming both shapes.
  run = grow_from("from-llama", dir_ + "/llama-hf", 2);
  if (fs::exists(dir_ + "/llama-hf")) {
    EXPECT_NE(last_.err.find("but the first stage's is"), std::string::npos) << last_.err;
  }
  EXPECT_FALSE(fs::exists(run));
}

}  // namespace
}  // namespace sprout::backend
