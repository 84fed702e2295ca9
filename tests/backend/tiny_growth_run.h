// SPDX-License-Identifier: GPL-3.0-or-later
// What the sprout-train end-to-end suites share: the tiny 3-stage growth
// plan (1x32, 2 heads -> width 1x64, 4 heads -> depth 2x64; batch 16 x 32
// tokens; 8 steps per stage at token_scale 1; on the CPU, also where a GPU
// is: --device cuda overrides), a made-up English corpus, and readers of a
// run directory.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sprout/planner/base/file_io.h"

namespace sprout::backend::test {

struct TinyGrowthPlan {
  double first_lr = 3e-3;
  int first_hidden = 32;
  int first_heads = 2;
  double token_scale = 1;
  int gpus = 1;
  std::string model_extra;     // more `model:` keys, e.g. ", dropout: 0.1"
  std::string training_extra;  // more `training:` keys, e.g. ", threads: 1"
  std::string stage_extra;     // more keys of every stage, e.g. ", recompute: full"
  std::string first_parallel = "{tp: 1, pp: 1, dp: 1, micro_batch: 8}";  // "": none
  std::string later_parallel;                                            // "": none
  std::string deep_parallel = "same";  // the last stage's layout; "same": later_parallel
};

inline std::string tiny_growth_plan_yaml(const TinyGrowthPlan& p) {
  auto parallel = [](const std::string& layout) { return layout.empty() ? "" : ", parallel: " + layout; };
  std::ostringstream y;
  y << "name: e2e tiny growth\nhardware: cpu-generic\ngpus: " << p.gpus
    << "\nregion: us-average\npower_model: typical\n"
    << "model: {vocab: 256, seq_len: 32, activation: gelu" << p.model_extra << "}\n"
    << "training: {seed: 5, eval_every_steps: 4, eval_batches: 2, checkpoint_every_steps: 3, keep_checkpoints: 2, "
       "log_every_steps: 1, device: cpu"
    << p.training_extra << "}\n"
    << "stages:\n"
    << "  - {name: small, layers: 1, hidden: " << p.first_hidden << ", heads: " << p.first_heads
    << ", tokens: " << 4096 * p.token_scale << ", global_batch_tokens: 512, lr: " << p.first_lr
    << ", warmup_fraction: 0.25" << p.stage_extra << parallel(p.first_parallel) << "}\n"
    << "  - {name: wide, grow: {width: true, grow_steps: 4}, layers: 1, hidden: 64, heads: 4, tokens: "
    << 4096 * p.token_scale << ", global_batch_tokens: 512, lr: 2e-3, warmup_fraction: 0.25" << p.stage_extra
    << parallel(p.later_parallel) << "}\n"
    << "  - {name: deep, grow: {depth: true, grow_steps: 4}, layers: 2, hidden: 64, heads: 4, tokens: "
    << 4096 * p.token_scale << ", global_batch_tokens: 512, lr: 1.5e-3, warmup_fraction: 0.25" << p.stage_extra
    << parallel(p.deep_parallel == "same" ? p.later_parallel : p.deep_parallel) << "}\n";
  return y.str();
}

// Real English-like text, made here so the tests need no package.
inline void write_tiny_corpus(const std::string& path) {
  std::string text;
  const char* words[] = {"the ", "growth ", "of ",    "a ",    "model ", "is ",    "masked ", "and ",
                         "its ", "loss ",   "falls ", "when ", "new ",   "heads ", "learn ",  "words.\n"};
  for (int i = 0; i < 20000; ++i) text += words[(i * 7 + i / 3) % 16];
  planner::write_file_atomically(path, text);
}

inline std::vector<nlohmann::json> read_telemetry(const std::string& run) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run + "/telemetry.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// "step loss" of every training step, the loss in full precision (bitwise comparisons).
inline std::vector<std::string> exact_step_losses(const std::string& run) {
  std::vector<std::string> out;
  for (const auto& j : read_telemetry(run)) {
    if (!j.contains("event")) out.push_back(std::to_string(j["step"].get<long long>()) + " " + j["loss"].dump());
  }
  return out;
}

inline std::string checkpoint_name(long long step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%09lld", step);
  return buf;
}

}  // namespace sprout::backend::test
