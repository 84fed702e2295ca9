// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train with tensor and pipeline parallelism end to end: 2 and 4
// processes meeting over Gloo on this machine (tiny shapes, a few seconds per
// run). Every layout gives the loss sequence of one process with the same
// global batch, across a width growth and a depth growth, also when the
// layout changes at a growth, with interleaved 1F1B, with uneven pipeline
// stages (pp_layers, last_stage_layers), with and without
// sequence parallelism, with dropout, and with rotary/xPos positions and
// RMSNorm (relative tolerance 1e-5 in fp32, 1e-6 for the latter; measured
// below 2e-7); full and selective recomputation give a layout's losses bit
// for bit; sharded checkpoints resume under other
// layouts, each rank reading only its part (the resume record's
// resume_bytes_read: at most 1.2x its parameters and moments), a record
// that fails its CRC-32 on one rank sends every rank back to an intact
// checkpoint, and an incomplete one, or one whose slices do not cover a
// tensor, is refused on every rank; a TP2 x PP2 checkpoint exports to
// Hugging Face as the one-process model (an independent NumPy forward gives
// the run's validation loss within 1e-3); layouts the model cannot be split
// into are refused before training (exit 2, no hang), also at a resume.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <tuple>

#include "checkpoint/tensor_archive.h"
#include "data/crc32.h"
#include "export/safetensors.h"
#include "model_parallel_fixture.h"
#include "numpy_forward.h"
#include "parallel/stage_layout.h"
#include "parallel/tensor_sharding.h"
#include "rank_processes.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/telemetry_record.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
using sprout::test::run_command;
using test::RankProcesses;

TEST_F(ModelParallel, TensorParallelMatchesOneProcessAcrossWidthAndDepthGrowth) {
  const std::string run = dir_ + "/tp2";
  train(2, write_plan("tp2", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1)), run);
  expect_same_losses_as_one_process(run);
}

TEST_F(ModelParallel, PlainTensorParallelAndDropoutUnderEveryParallelismMatchOneProcess) {
  // The layouts above run sequence parallel (the plan's default with tp > 1);
  // this one plain Megatron TP.
  const std::string plain = "{tp: 2, pp: 1, dp: 1, micro_batch: 4, sequence_parallel: false}";
  train(2, write_plan("tp2-plain", 2, plain, plain, plain), dir_ + "/tp2-plain");
  expect_same_losses_as_one_process(dir_ + "/tp2-plain");
  // Dropout: every mask is drawn for the full tensor from (micro-batch,
  // place), so TP (with and without the sequence split) and PP ranks apply
  // the one-process run's masks.
  const std::string dropout = ", dropout: 0.1";
  train(1, write_plan("one-dropout", 1, layout(1, 1, 1), layout(1, 1, 1), layout(1, 1, 1), dropout),
        dir_ + "/one-dropout");
  train(2, write_plan("dropout", 2, plain, layout(2, 1, 1), layout(1, 2, 1), dropout), dir_ + "/dropout");
  expect_same_losses_as_one_process(dir_ + "/dropout", dir_ + "/one-dropout");
  EXPECT_NE(test::exact_step_losses(dir_ + "/one-dropout"), test::exact_step_losses(dir_ + "/one"));
}

TEST_F(ModelParallel, RotaryXposAndRmsNormMatchOneProcessUnderTp2Pp2AndTp2xPp2) {
  // Rotary/xPos act on the queries and keys after the sequence all-gather
  // (every rank sees all positions) and in each pipeline stage's own
  // blocks; RMSNorm on each rank's positions. Two processes: TP2 with
  // sequence parallelism -> TP2 -> PP2; four: TP2 x DP2 -> TP2 x DP2 ->
  // TP2 x PP2. Relative tolerance 1e-6.
  for (const std::string& model :
       {std::string(", position_embedding: rotary, norm: rmsnorm"), std::string(", position_embedding: xpos")}) {
    const std::string name = model.find("xpos") != std::string::npos ? "xpos" : "rotary-rms";
    SCOPED_TRACE(name);
    train(1, write_plan(name + "-one", 1, layout(1, 1, 1), layout(1, 1, 1), layout(1, 1, 1), model),
          dir_ + "/" + name + "-one");
    train(2, write_plan(name + "-two", 2, layout(2, 1, 1), layout(2, 1, 1), layout(1, 2, 1), model),
          dir_ + "/" + name + "-two");
    expect_same_losses_as_one_process(dir_ + "/" + name + "-two", dir_ + "/" + name + "-one", 1e-6);
    train(4, write_plan(name + "-four", 4, layout(2, 1, 2), layout(2, 1, 2), layout(2, 2, 1, 2), model),
          dir_ + "/" + name + "-four");
    expect_same_losses_as_one_process(dir_ + "/" + name + "-four", dir_ + "/" + name + "-one", 1e-6);
  }
  // Another function than the learned-position LayerNorm model.
  EXPECT_NE(test::exact_step_losses(dir_ + "/xpos-one"), test::exact_step_losses(dir_ + "/one"));
}

TEST_F(ModelParallel, RecomputationUnderTensorAndPipelineParallelismKeepsEveryLossBitForBit) {
  // TP2 with sequence parallelism, plain TP2, then PP2, with dropout: every
  // TP rank re-runs its blocks' forward collectives in the same order, each
  // pipeline stage recomputes its own blocks, the masks are drawn again.
  const std::string plain = "{tp: 2, pp: 1, dp: 1, micro_batch: 4, sequence_parallel: false}";
  auto plan = [&](const std::string& name, const std::string& stage) {
    return write_plan(name, 2, layout(2, 1, 1), plain, layout(1, 2, 1), ", dropout: 0.1", stage);
  };
  train(2, plan("mp-none", ""), dir_ + "/mp-none");
  const auto want = test::exact_step_losses(dir_ + "/mp-none");
  ASSERT_EQ(want.size(), 24u);
  for (const std::string recompute : {"selective", "full"}) {
    const std::string run = dir_ + "/mp-" + recompute;
    train(2, plan("mp-" + recompute, ", recompute: " + recompute), run);
    EXPECT_EQ(test::exact_step_losses(run), want) << recompute;
  }
}

TEST_F(ModelParallel, LayoutChangesAtWidthAndDepthGrowthMatchOneProcess) {
  // DP2 -> TP2 with the width growth -> PP2 (one block per stage) with the
  // depth growth; the pipeline stage logs its bubble.
  const std::string run = dir_ + "/dp-tp-pp";
  train(2, write_plan("dp-tp-pp", 2, layout(1, 1, 2), layout(2, 1, 1), layout(1, 2, 1)), run);
  expect_same_losses_as_one_process(run);
  int pipelined = 0;
  for (const auto& j : test::read_telemetry(run)) {
    if (j.contains("event") || j["stage"] != "deep") {
      EXPECT_FALSE(j.contains("pipeline"));
      continue;
    }
    const auto& p = j.at("pipeline");
    EXPECT_EQ(p["stages"], 2);
    EXPECT_EQ(p["micro_batches"], 4);  // 16 sequences / micro-batch 4
    EXPECT_EQ(p["forward_s"].size(), 2u);
    const double bubble = p["bubble_fraction"];
    // The first stage waits for the first backward at least; idle / own op
    // time is (p - 1) / m = 0.25 ideally, far more for a step in which a rank
    // was descheduled (4 processes share 2 cores under ctest -j2).
    EXPECT_GT(bubble, 0.0) << "step " << j["step"];
    EXPECT_LT(bubble, 100.0) << "step " << j["step"];
    ++pipelined;
  }
  EXPECT_EQ(pipelined, 8);
  // sprout compare puts the simulator's bubbles next to the measured one
  // (timings beside other tests: only sanity here; pipeline_bubble_e2e_test
  // compares them, alone on the machine).
  const auto bubbles = pipeline_bubbles(dir_ + "/dp-tp-pp.yaml", run);
  ASSERT_EQ(bubbles.size(), 1u) << bubbles;
  EXPECT_EQ(bubbles[0]["stage"], "deep");
  EXPECT_EQ(bubbles[0]["steps"], 7);  // the stage's first step (start-up) is left out
  EXPECT_DOUBLE_EQ(bubbles[0]["analytic_fraction"].get<double>(), 0.25);  // (p - 1) / m
  for (const char* key : {"measured_fraction", "replayed_fraction"}) {
    EXPECT_GT(bubbles[0][key].get<double>(), 0.0) << key;
    EXPECT_LT(bubbles[0][key].get<double>(), 100.0) << key;
  }
  // The busiest rank's, from mean op times: 0 when it never waits.
  EXPECT_GE(bubbles[0]["simulated_fraction"].get<double>(), 0.0);
  EXPECT_LT(bubbles[0]["simulated_fraction"].get<double>(), 100.0);
}

TEST_F(ModelParallel, FourRanksTp2Dp2ThenTp2Pp2MatchOneProcess) {
  // ZeRO-1 (the planner's default with dp > 1) shards each part's moments
  // over its DP group: the same numbers as without, bit for bit.
  const std::string plan = write_plan("four", 4, layout(2, 1, 2), layout(2, 1, 2), layout(2, 2, 1, 2));
  train(4, plan, dir_ + "/four", "--zero1 on");
  expect_same_losses_as_one_process(dir_ + "/four");
  train(4, plan, dir_ + "/four-no-zero1", "--zero1 off");
  EXPECT_EQ(test::exact_step_losses(dir_ + "/four-no-zero1"), test::exact_step_losses(dir_ + "/four"));
}

TEST_F(ModelParallel, ACheckpointResumesUnderAnyLayoutOfThePlan) {
  // Written under TP2 inside the width growth's mask ramp, continued on one
  // process into the depth stage, finished under TP2 x PP2: the same losses.
  const std::string run = dir_ + "/reshard";
  train(2, write_plan("reshard-tp2", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1)), run,
        "--stop-after-steps 11");
  train(1, one_, run, "--resume --stop-after-steps 18");
  train(4, write_plan("reshard-four", 4, layout(2, 1, 2), layout(2, 1, 2), layout(2, 2, 1, 2)), run, "--resume");
  expect_same_losses_as_one_process(run);
}

TEST_F(ModelParallel, AnIncompleteShardedCheckpointIsRefusedBeforeTraining) {
  const std::string run = dir_ + "/incomplete";
  const std::string plan = write_plan("incomplete", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1));
  train(2, plan, run, "--stop-after-steps 6");  // checkpoints at steps 3 and 6, both TP2 shards
  for (const char* step : {"step-000000003", "step-000000006"}) {
    ASSERT_TRUE(std::filesystem::remove(run + "/checkpoints/" + step + "/optimizer-rank-00001-of-00002.bin")) << step;
  }
  RankProcesses p(2, command(plan, run, "--resume"), run + ".resume.log");
  EXPECT_EQ(p.wait_all(60), (std::vector<int>{2, 2}));
  EXPECT_NE(p.log(0).find(
                "skipping checkpoint step-000000006: optimizer-rank-00001-of-00002.bin (listed in DONE) is missing"),
            std::string::npos)
      << p.log(0);
  EXPECT_NE(p.log(0).find("--resume: no complete, intact checkpoint to resume from"), std::string::npos) << p.log(0);
  EXPECT_NE(p.log(1).find("stopped: rank 0 found bad input"), std::string::npos) << p.log(1);
  EXPECT_EQ(series(run).size(), 6u) << "nothing trained or logged after the refusal";
}

// Flips one byte in the first tensor record of checkpoint file `name`
// (DONE left as it was: the file and the record now fail their CRC-32).
void corrupt_first_record(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  const std::vector<ArchiveRecord> records = index_tensor_archive(path);
  ASSERT_FALSE(records.empty());
  std::string bytes = planner::read_file(path);
  bytes[records.front().offset] = static_cast<char>(bytes[records.front().offset] ^ 0x5a);
  planner::write_file_atomically(path, bytes);
}

TEST_F(ModelParallel, AResumeReadsOnlyEachRanksPartOfTheCheckpoint) {
  // TP2 x DP2, a width growth, a depth growth into TP2 x PP2, stopped there
  // (checkpoint at step 21), resumed as TP2 x PP2, TP2 x DP2 and PP2 x DP2,
  // each rank reading its part (at most 1.2x its parameters and moments).
  const std::string written = dir_ + "/bytes";
  train(4, write_plan("bytes", 4, layout(2, 1, 2), layout(2, 1, 2), layout(2, 2, 1, 2)), written,
        "--stop-after-steps 21");
  const std::string checkpoint = written + "/checkpoints/" + test::checkpoint_name(21);
  for (const auto& [name, deep] : {std::pair{"bytes-tp2pp2", layout(2, 2, 1, 2)},
                                   {"bytes-tp2dp2", layout(2, 1, 2)},
                                   {"bytes-pp2dp2", layout(1, 2, 2, 2)}}) {
    const std::string run = dir_ + "/" + name;
    std::filesystem::copy(written, run, std::filesystem::copy_options::recursive);
    const std::string plan = write_plan(name, 4, layout(2, 1, 2), layout(2, 1, 2), deep);
    train(4, plan, run, "--resume");
    expect_same_losses_as_one_process(run);
    std::vector<double> read;
    for (const auto& j : test::read_telemetry(run)) {
      if (j.value("event", "") == "resume") read = j.at("resume_bytes_read").get<std::vector<double>>();
    }
    ASSERT_EQ(read.size(), 4u) << name;
    for (int r = 0; r < 4; ++r) {
      // DONE, state.json and the record headers on top of the part's tensors.
      const double part = part_bytes(plan, checkpoint, r, 4);
      const double got = read[static_cast<size_t>(r)];
      std::cout << name << " rank " << r << ": read " << static_cast<long long>(got) << " bytes, its part "
                << static_cast<long long>(part) << " bytes (x" << got / part << ")\n";
      EXPECT_GE(got, part) << name << " rank " << r;
      EXPECT_LE(got, 1.2 * part) << name << " rank " << r;
    }
  }
  // A record of rank 3's file fails its CRC-32: rank 3 finds it reading its
  // part, every rank searches again reading whole checkpoints, skips step 21
  // and resumes from step 18 (the same losses).
  const std::string run = dir_ + "/bytes-corrupt";
  std::filesystem::copy(written, run, std::filesystem::copy_options::recursive);
  corrupt_first_record(run + "/checkpoints/" + test::checkpoint_name(21), "optimizer-rank-00003-of-00004.bin");
  RankProcesses p(4, command(dir_ + "/bytes.yaml", run, "--resume"), run + ".log");
  EXPECT_EQ(p.wait_all(120), (std::vector<int>{0, 0, 0, 0})) << p.log(0) << p.log(3);
  EXPECT_NE(p.log(3).find("fails its CRC-32 (corrupt)"), std::string::npos) << p.log(3);
  EXPECT_NE(p.log(0).find("skipping checkpoint step-000000021: optimizer-rank-00003-of-00004.bin fails its CRC-32"),
            std::string::npos)
      << p.log(0);
  expect_same_losses_as_one_process(run);
}

TEST_F(ModelParallel, ResumingIntoALayoutTheModelCannotBeSplitIntoIsRefusedOnEveryRank) {
  // The checkpoint of a TP2 run resumed with TP4 for 2 heads: exit 2 on every
  // rank before anything is read or trained.
  const std::string run = dir_ + "/unreachable";
  train(2, write_plan("unreachable-tp2", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1)), run,
        "--stop-after-steps 6");
  const std::string plan = write_plan("unreachable-tp4", 4, layout(4, 1, 1), layout(4, 1, 1), layout(4, 1, 1));
  RankProcesses p(4, command(plan, run, "--resume"), run + ".resume.log");
  EXPECT_EQ(p.wait_all(60), (std::vector<int>{2, 2, 2, 2}));
  for (int r = 0; r < 4; ++r) EXPECT_NE(p.log(r).find("tp=4 does not divide heads=2"), std::string::npos) << p.log(r);
  EXPECT_EQ(series(run).size(), 6u) << "nothing trained or logged after the refusal";
}

// Rewrites the checkpoint file `name` in `dir` without the tensor records
// `drop` selects, and DONE to match (a checkpoint intact but incomplete).
void drop_records(const std::string& dir, const std::string& name,
                  const std::function<bool(const std::string&)>& drop) {
  const std::string path = dir + "/" + name;
  NamedTensors kept;
  for (auto& [tensor_name, t] : read_tensor_archive(path)) {
    if (!drop(tensor_name)) kept.emplace_back(tensor_name, t);
  }
  write_tensor_archive(path, kept);
  nlohmann::json done = nlohmann::json::parse(planner::read_file(dir + "/DONE"));
  const std::string bytes = planner::read_file(path);
  done["files"][name] = {{"bytes", bytes.size()}, {"crc32", crc32_of(bytes)}};
  planner::write_file_atomically(dir + "/DONE", done.dump() + "\n");
}

TEST_F(ModelParallel, ACheckpointWhoseSlicesDoNotCoverATensorIsRefusedOnEveryRank) {
  const std::string run = dir_ + "/uncovered";
  const std::string plan = write_plan("uncovered", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1));
  train(2, plan, run, "--stop-after-steps 6");
  drop_records(run + "/checkpoints/" + test::checkpoint_name(6), "optimizer-rank-00001-of-00002.bin",
               [](const std::string& n) { return n.rfind("param/h.0.mlp.w1#", 0) == 0; });
  RankProcesses p(2, command(plan, run, "--resume"), run + ".resume.log");
  EXPECT_EQ(p.wait_all(60), (std::vector<int>{2, 2}));
  EXPECT_NE(p.log(0).find("checkpoint tensor param/h.0.mlp.w1: its slices cover"), std::string::npos) << p.log(0);
  EXPECT_NE(p.log(1).find("stopped: rank 0 found bad input"), std::string::npos) << p.log(1);
  EXPECT_EQ(series(run).size(), 6u) << "nothing trained or logged after the refusal";
}

// The plan file with `from` replaced by `to` (once).

std::string with_vocab(int vocab, const std::string& plan) {
  return edited(plan, "vocab: 256", "vocab: " + std::to_string(vocab));
}

// The tiny growth plan whose depth stage grows 1 -> 4 blocks, run under
// `deep` there (on 2 ranks, DP2 then TP2 before it).

TEST_F(ModelParallel, InterleavedPipelineMatchesOneProcessAfterADepthGrowthToFourBlocks) {
  // The depth stage grows 1 -> 4 blocks and runs PP2 with 2 chunks per rank
  // (virtual stages of one block: rank 0 holds blocks 0 and 2).
  train(1, four_block_plan("one-4", 1, layout(1, 1, 1)), dir_ + "/one-4");
  const std::string interleaved = "{tp: 1, pp: 2, dp: 1, micro_batch: 4, interleave: 2}";
  const std::string plan = four_block_plan("v2", 2, interleaved);
  train(2, plan, dir_ + "/v2");
  expect_same_losses_as_one_process(dir_ + "/v2", dir_ + "/one-4");
  const auto bubbles = pipeline_bubbles(plan, dir_ + "/v2");
  ASSERT_EQ(bubbles.size(), 1u) << bubbles;
  EXPECT_EQ(bubbles[0]["schedule"], "interleaved 1F1B");
  EXPECT_EQ(bubbles[0]["chunks"], 2);
  EXPECT_DOUBLE_EQ(bubbles[0]["analytic_fraction"].get<double>(), 0.125);  // (p - 1) / (v m)
  // Every rank idles somewhere (the mean over the ranks); the busiest rank
  // of these unbalanced one-block chunks may not (simulated_fraction >= 0).
  EXPECT_GT(bubbles[0]["measured_fraction"].get<double>(), 0.0);
  EXPECT_GT(bubbles[0]["replayed_fraction"].get<double>(), 0.0);
  EXPECT_GE(bubbles[0]["simulated_fraction"].get<double>(), 0.0);
}

TEST_F(ModelParallel, UnevenPipelineStagesRunAsThePlanSplitsThemAndMatchOneProcess) {
  // The depth stage's 4 blocks on 2 pipeline ranks as 3 + 1 (pp_layers) and
  // as 1 + 3 (last_stage_layers, Megatron-LM's --decoder-last-pipeline-num-layers):
  // the one-process losses, the split in the summary and on the records.
  train(1, four_block_plan("one-4-uneven", 1, layout(1, 1, 1)), dir_ + "/one-4-uneven");
  for (const auto& [name, deep, split] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"pp-3-1", "{tp: 1, pp: 2, dp: 1, micro_batch: 4, pp_layers: [3, 1]}", "3+1"},
           {"pp-1-3", "{tp: 1, pp: 2, dp: 1, micro_batch: 4, last_stage_layers: 3}", "1+3"}}) {
    const std::string plan = four_block_plan(name, 2, deep);
    train(2, plan, dir_ + "/" + name);
    expect_same_losses_as_one_process(dir_ + "/" + name, dir_ + "/one-4-uneven");
    const auto summary = nlohmann::json::parse(planner::read_file(dir_ + "/" + name + "/summary.json"));
    EXPECT_EQ(summary["stages"][2]["layout"], "TP1 PP2 DP1 (layers " + split + "), micro-batch 4 x 4")
        << summary["stages"][2];
    const auto bubbles = pipeline_bubbles(plan, dir_ + "/" + name);
    ASSERT_EQ(bubbles.size(), 1u) << bubbles;
    EXPECT_GT(bubbles[0]["measured_fraction"].get<double>(), 0.0) << name;
  }
}

// An export's tensors: name -> (shape, fp32 values), through the strict reader's header.
std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> exported_tensors(const std::string& dir) {
  const std::string bytes = planner::read_file(dir + "/model.safetensors");
  const SafetensorsHeader h = parse_safetensors_header({bytes.data(), bytes.size()}, bytes.size(), dir);
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> out;
  for (const auto& e : h.tensors) {
    std::vector<float> values((e.end - e.begin) / sizeof(float));
    std::memcpy(values.data(), bytes.data() + h.data_start + e.begin, e.end - e.begin);
    out[e.name] = {e.shape, std::move(values)};
  }
  return out;
}

TEST_F(ModelParallel, ATp2xPp2CheckpointExportsToHuggingFaceAsTheOneProcessModel) {
  // The last stage under TP2 x PP2: four ranks each saved their tensor slices
  // of their pipeline stage's blocks; the export assembles them tensor by tensor.
  const std::string run = dir_ + "/export-tp2pp2";
  train(4, write_plan("export-tp2pp2", 4, layout(2, 1, 2), layout(2, 1, 2), layout(2, 2, 1, 2)), run);
  for (const std::string& r : {run, one_run()}) {
    const auto e = run_command(kTrain + " export --checkpoint " + r + " --format hf --out " + r + "-hf");
    ASSERT_EQ(e.exit_code, 0) << e.err;
  }
  EXPECT_EQ(planner::read_file(run + "-hf/config.json"), planner::read_file(one_run() + "-hf/config.json"));
  const auto parallel = exported_tensors(run + "-hf"), one = exported_tensors(one_run() + "-hf");
  ASSERT_EQ(parallel.size(), one.size());
  double max_difference = 0;
  for (const auto& [name, tensor] : one) {
    ASSERT_TRUE(parallel.count(name)) << name;
    ASSERT_EQ(parallel.at(name).first, tensor.first) << name;
    for (size_t i = 0; i < tensor.second.size(); ++i) {
      max_difference = std::max(max_difference, std::abs(double(parallel.at(name).second[i]) - tensor.second[i]));
    }
  }
  // The layouts' training differs by rounding only (losses within 1e-5 relative).
  EXPECT_LT(max_difference, 1e-3);
  std::cout << "TP2 x PP2 export: largest weight difference from the one-process run's export " << max_difference
            << "\n";
  if (test::expect_export_loss_equal(run, dir_ + "/data/val.bin", "TP2 x PP2 export").is_null()) {
    GTEST_SKIP() << "no python3 with NumPy (Debian: python3-numpy), or it failed";
  }
}

TEST_F(ModelParallel, LayoutsTheModelCannotBeSplitIntoAreRefusedBeforeTraining) {
  struct Case {
    std::string name;
    std::string plan;
    int ranks;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"heads", write_plan("bad-heads", 4, layout(4, 1, 1), layout(4, 1, 1), layout(4, 1, 1)), 4,
       "tp=4 does not divide heads=2"},
      {"layers", write_plan("bad-layers", 2, layout(1, 2, 1), layout(1, 2, 1), layout(1, 2, 1)), 2,
       "pp=2 is more pipeline stages than layers=1"},
      {"vocab", with_vocab(257, write_plan("bad-vocab", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1))), 2,
       "vocab=257 is not divisible by tp=2"},
      {"ranks", write_plan("bad-ranks", 2, layout(2, 1, 1), layout(2, 1, 1), layout(2, 1, 1)), 1,
       "layout TP2 PP1 DP1 needs tp x pp x dp = 2 processes but 1 are running"},
      {"interleave",
       write_plan("bad-interleave", 2, layout(2, 1, 1), layout(2, 1, 1),
                  "{tp: 1, pp: 2, dp: 1, micro_batch: 4, interleave: 2}"),
       2, "layers=2 cannot be split evenly into pp=2 x interleave=2 chunks"},
  };
  for (const Case& c : cases) {
    const std::string run = dir_ + "/bad-" + c.name;
    RankProcesses p(c.ranks, command(c.plan, run), run + ".log");
    const std::vector<int> codes = p.wait_all(60);
    for (int r = 0; r < c.ranks; ++r) {
      EXPECT_EQ(codes[static_cast<size_t>(r)], 2) << c.name << " rank " << r << ": " << p.log(r);
      EXPECT_NE(p.log(r).find(c.message), std::string::npos) << c.name << " rank " << r << ": " << p.log(r);
    }
    EXPECT_FALSE(std::filesystem::exists(run + "/telemetry.jsonl")) << c.name;
  }
}

}  // namespace
}  // namespace sprout::backend
