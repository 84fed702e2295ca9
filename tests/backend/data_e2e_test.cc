// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train end to end on real-model data (docs/backend.md "Data", "Loss
// spikes"): a Megatron-LM dataset and a blend of it with token shards resume
// bitwise exactly; SentencePiece data trains with the end-of-document loss
// mask and refuses a plan of another vocabulary; bad Megatron files exit 2
// and write nothing; an injected bad batch is skipped or rolled back.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>
#include <set>

#include "data/token_shard.h"
#include "sanitizer_build.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/splitmix64.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;

class DataE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("data-e2e");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    // 200 JSONL documents of 40..240 words each.
    const std::string text = planner::read_file(dir_ + "/corpus.txt");
    std::string jsonl;
    for (size_t d = 0, at = 0; d < 200; ++d) {
      const size_t n = 200 + 1000 * (d % 5);
      jsonl += nlohmann::json{{"text", text.substr(at % (text.size() - n), n)}}.dump() + "\n";
      at += n;
    }
    planner::write_file_atomically(dir_ + "/docs.jsonl", jsonl);
    prepare("--input " + dir_ + "/corpus.txt --out " + dir_ + "/shards");
    prepare("--input " + dir_ + "/docs.jsonl --out " + dir_ + "/mega --format megatron");
  }

  static void prepare(const std::string& args) {
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare " + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string plan(const std::string& name, const std::string& training_extra, int vocab = 256) {
    test::TinyGrowthPlan p;
    p.training_extra = training_extra;
    std::string y = test::tiny_growth_plan_yaml(p);
    y.replace(y.find("vocab: 256"), 10, "vocab: " + std::to_string(vocab));
    const std::string path = dir_ + "/" + name + ".yaml";
    planner::write_file_atomically(path, y);
    return path;
  }

  static sprout::test::CommandResult train(const std::string& plan_path, const std::string& run,
                                           const std::string& extra = "") {
    return run_command(sprout::test::sprout_train_cmd() + " --plan " + plan_path + " --out " + run +
                       " --threads 1 --quiet " + extra);
  }

  static void expect_exact_resume(const std::string& plan_path, const std::string& name, const std::string& data) {
    const std::string straight = dir_ + "/" + name + "-straight", split = dir_ + "/" + name + "-split";
    ASSERT_EQ(train(plan_path, straight, data).exit_code, 0);
    const auto want = test::exact_step_losses(straight);
    ASSERT_EQ(want.size(), 24u);
    ASSERT_EQ(train(plan_path, split, data + " --stop-after-steps 10").exit_code, 0);
    ASSERT_EQ(train(plan_path, split, data + " --resume --stop-after-steps 17").exit_code, 0);
    ASSERT_EQ(train(plan_path, split, data + " --resume").exit_code, 0);
    EXPECT_EQ(test::exact_step_losses(split), want);
  }

  static inline std::string dir_;
};

TEST_F(DataE2E, AMegatronDatasetResumesExactly) {
  const auto r = train(plan("mega", ""), dir_ + "/mega-check", "--data " + dir_ + "/mega --stop-after-steps 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_exact_resume(plan("mega", ""), "mega", "--data " + dir_ + "/mega/text_document");
}

TEST_F(DataE2E, ABlendOfAMegatronDatasetAndTokenShardsResumesExactly) {
  const std::string blend =
      ", data: [{path: " + dir_ + "/mega/text_document, weight: 0.7}, {path: " + dir_ + "/shards, weight: 0.3}]";
  expect_exact_resume(plan("blend", blend), "blend", "");
  // The blend is not either dataset alone.
  ASSERT_EQ(train(plan("mega", ""), dir_ + "/mega-alone", "--data " + dir_ + "/mega").exit_code, 0);
  EXPECT_NE(test::exact_step_losses(dir_ + "/mega-alone"), test::exact_step_losses(dir_ + "/blend-straight"));
}

TEST_F(DataE2E, SentencePieceDataTrainsWithTheEodMaskAndRefusesAnotherVocabulary) {
  if (sprout::test::kAddressSanitizer) GTEST_SKIP() << sprout::test::kNoSentencePieceUnderSanitizers;
  prepare("--input " + dir_ + "/docs.jsonl --out " + dir_ +
          "/spm --format megatron --tokenizer sentencepiece "
          "--vocab 100");
  // 100 pieces: the plan may say 100 or, padded to a multiple of 128, 128.
  const auto ok = train(plan("spm", ", eod_mask_loss: true", 128), dir_ + "/spm-run", "--data " + dir_ + "/spm");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(test::exact_step_losses(dir_ + "/spm-run").size(), 24u);
  const auto bad = train(plan("spm-256", "", 256), dir_ + "/spm-bad", "--data " + dir_ + "/spm");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("stages[0].vocab: 256 disagrees with the data's tokenizer (sentencepiece, vocab 100"),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(fs::exists(dir_ + "/spm-bad"));
}

// A file the plan names is reported at the plan's training.data line, with
// what is wrong in the file itself; the same file given by --data as it is.
TEST_F(DataE2E, BadDataThePlanNamesIsReportedAtItsTrainingDataLine) {
  const std::string prefix = dir_ + "/bad-magic";
  std::string idx = planner::read_file(dir_ + "/mega/text_document.idx");
  idx[0] = 'X';
  planner::write_file_atomically(prefix + ".idx", idx);
  planner::write_file_atomically(prefix + ".bin", planner::read_file(dir_ + "/mega/text_document.bin"));
  const std::string named = plan("names-bad-data", ", data: " + prefix);
  const auto r = train(named, dir_ + "/run-names-bad-data");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind(named + ":7:", 0), 0u) << r.err;  // training: is line 7 of the tiny plan
  EXPECT_NE(r.err.find(": training.data: " + prefix + ".idx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("magic"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  const auto given = train(plan("mega", ""), dir_ + "/run-given-bad-data", "--data " + prefix);
  EXPECT_EQ(given.exit_code, 2);
  EXPECT_EQ(given.err.rfind(prefix + ".idx", 0), 0u) << given.err;
}

TEST_F(DataE2E, BadMegatronFilesExitTwoAndWriteNothing) {
  auto expect_bad = [&](const std::string& name, const std::function<void(std::string&, std::string&)>& spoil,
                        const std::string& needle) {
    const std::string prefix = dir_ + "/" + name;
    std::string idx = planner::read_file(dir_ + "/mega/text_document.idx");
    std::string bin = planner::read_file(dir_ + "/mega/text_document.bin");
    spoil(idx, bin);
    planner::write_file_atomically(prefix + ".idx", idx);
    planner::write_file_atomically(prefix + ".bin", bin);
    const auto r = train(plan("mega", ""), dir_ + "/run-" + name, "--data " + prefix);
    EXPECT_EQ(r.exit_code, 2) << name;
    EXPECT_NE(r.err.find(needle), std::string::npos) << name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/run-" + name));
  };
  expect_bad(
      "magic", [](std::string& idx, std::string&) { idx[0] = 'X'; }, "magic.idx: magic:");
  expect_bad(
      "version", [](std::string& idx, std::string&) { idx[9] = 2; }, "version.idx: version:");
  expect_bad(
      "dtype", [](std::string& idx, std::string&) { idx[17] = 9; }, "dtype.idx: dtype:");
  expect_bad(
      "short-idx", [](std::string& idx, std::string&) { idx.resize(idx.size() - 5); }, "short-idx.idx:");
  expect_bad(
      "short-bin", [](std::string&, std::string& bin) { bin.resize(bin.size() / 2); },
      "short-bin.idx: sequence_pointers:");
  // A token >= vocab 256: the byte data is uint16, so a high byte of 1 makes 256 and more.
  expect_bad(
      "token", [](std::string&, std::string& bin) { bin[101] = 1; }, "token.bin: tokens:");
}

// The injected bad batch: token shards of the tiny corpus repeated, where
// the windows of one step (and no other) are random bytes.
class SpikeE2E : public DataE2E {
 protected:
  static constexpr int64_t kTokens = 1 << 21, kWindow = 33, kSequencesPerStep = 16, kSteps = 24;

  // The start of sequence n (data/shard_source.h).
  static int64_t start(uint64_t seed, int64_t n) {
    return static_cast<int64_t>(planner::splitmix64(planner::splitmix64(seed) ^ static_cast<uint64_t>(n)) %
                                static_cast<uint64_t>(kTokens - kWindow));
  }

  // Writes the shards; returns the bad step (1-based): the first from step 18
  // on (the model has learned the text by then) whose windows overlap no
  // other step's.
  static long long write_bad_batch_data(const std::string& out, uint64_t seed) {
    std::vector<std::pair<int64_t, int64_t>> windows;  // (start, step)
    for (int64_t n = 0; n < kSteps * kSequencesPerStep; ++n) windows.push_back({start(seed, n), n / kSequencesPerStep});
    std::sort(windows.begin(), windows.end());
    std::set<int64_t> overlapping;
    for (size_t i = 1; i < windows.size(); ++i) {
      if (windows[i].first - windows[i - 1].first < kWindow && windows[i].second != windows[i - 1].second) {
        overlapping.insert(windows[i].second);
        overlapping.insert(windows[i - 1].second);
      }
    }
    int64_t bad = 17;
    while (overlapping.count(bad)) ++bad;
    const std::string text = planner::read_file(dir_ + "/corpus.txt");
    std::vector<uint32_t> tokens(kTokens);
    for (int64_t i = 0; i < kTokens; ++i) tokens[i] = static_cast<unsigned char>(text[i % text.size()]);
    std::mt19937 random(7);
    for (const auto& [s, step] : windows) {
      if (step != bad) continue;
      for (int64_t i = s; i < s + kWindow; ++i) tokens[i] = random() % 256;
    }
    fs::create_directories(out);
    write_token_shard(out + "/train.bin", tokens, 256);
    tokens.resize(1 << 14);
    write_token_shard(out + "/val.bin", tokens, 256);
    return bad + 1;
  }
};

TEST_F(SpikeE2E, AnInjectedBadBatchIsSkippedOrRolledBack) {
  const std::string data = dir_ + "/bad-batch";
  const long long bad_step = write_bad_batch_data(data, 5);  // the plan's seed
  ASSERT_LE(bad_step, 23);
  const std::string off = plan("spike-off", "");
  const std::string skip = plan("spike-skip", ", spike: {z: 4, window: 5, action: skip}");
  const std::string back = plan("spike-back", ", spike: {z: 4, window: 5, action: rollback}");
  ASSERT_EQ(train(off, dir_ + "/spike-off", "--data " + data).exit_code, 0);
  const auto skipped = train(skip, dir_ + "/spike-skip", "--data " + data);
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  const auto rolled = train(back, dir_ + "/spike-back", "--data " + data);
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err;

  auto spikes = [](const std::string& run) {
    std::vector<nlohmann::json> out;
    for (const auto& j : test::read_telemetry(run)) {
      if (j.value("event", "") == "spike") out.push_back(j);
    }
    return out;
  };
  auto loss_at = [](const std::string& run, long long step) {
    double loss = -1;
    for (const auto& j : test::read_telemetry(run)) {
      if (!j.contains("event") && j["step"] == step) loss = j["loss"].get<double>();
    }
    return loss;
  };
  const auto skip_events = spikes(dir_ + "/spike-skip");
  ASSERT_EQ(skip_events.size(), 1u);
  EXPECT_EQ(skip_events[0]["spike"]["step"], bad_step);
  EXPECT_EQ(skip_events[0]["spike"]["action"], "skip");
  EXPECT_GT(skip_events[0]["spike"]["z"].get<double>(), 4.0);
  // The same losses up to the bad batch; then not: its update was not applied (one Adam step fewer).
  const auto off_losses = test::exact_step_losses(dir_ + "/spike-off");
  const auto skip_losses = test::exact_step_losses(dir_ + "/spike-skip");
  ASSERT_EQ(skip_losses.size(), 24u);
  EXPECT_TRUE(std::equal(off_losses.begin(), off_losses.begin() + bad_step, skip_losses.begin()));
  EXPECT_NE(loss_at(dir_ + "/spike-skip", bad_step + 1), loss_at(dir_ + "/spike-off", bad_step + 1));
  auto final_state = [](const std::string& run) {
    return nlohmann::json::parse(planner::read_file(run + "/checkpoints/" + test::checkpoint_name(24) + "/state.json"));
  };
  EXPECT_EQ(final_state(dir_ + "/spike-off")["adam_step"], 24);
  EXPECT_EQ(final_state(dir_ + "/spike-skip")["adam_step"], 23);

  // Rollback: back to the last checkpoint (every 3 steps), past the bad batch, every step logged once.
  const auto back_events = spikes(dir_ + "/spike-back");
  ASSERT_EQ(back_events.size(), 1u);
  EXPECT_EQ(back_events[0]["spike"]["action"], "rollback");
  const long long restored = (bad_step - 1) / 3 * 3;
  EXPECT_NE(back_events[0]["path"].get<std::string>().find(test::checkpoint_name(restored)), std::string::npos);
  // Every step updated; the data moved on past the bad batch: the sequences of
  // the steps after the checkpoint up to the bad one were left out.
  EXPECT_EQ(final_state(dir_ + "/spike-back")["adam_step"], 24);
  EXPECT_EQ(final_state(dir_ + "/spike-back")["sequences_consumed"], (24 + bad_step - restored) * kSequencesPerStep);
  const auto back_losses = test::exact_step_losses(dir_ + "/spike-back");
  ASSERT_EQ(back_losses.size(), 24u);
  for (size_t i = 0; i < back_losses.size(); ++i)
    EXPECT_EQ(back_losses[i].substr(0, back_losses[i].find(' ')), std::to_string(i + 1));
  // The step after the rollback that took the bad step's place trained on other data.
  EXPECT_LT(loss_at(dir_ + "/spike-back", bad_step), back_events[0]["spike"]["loss"].get<double>());
}

}  // namespace
}  // namespace sprout::backend
