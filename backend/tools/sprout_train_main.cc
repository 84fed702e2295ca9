// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train --plan PLAN.yaml --out RUN_DIR [--resume] [--threads N] ...
// sprout-train prepare --out DIR [--input TEXT...] [--format sprout|megatron] [--tokenizer bytes|sentencepiece]
// sprout-train export --checkpoint DIR --format hf --out DIR
// Exit codes (docs/formats.md "Exit codes", planner/base/exit_codes.h): 0 ok (also a
// --stop-after-steps stop: checkpointed), 75 stopped by SIGTERM/SIGUSR1 before the
// end (checkpointed: restart with --resume), 2 bad input (one line: file:line:col:
// field: reason), 1 runtime failure (among them a peer rank that died or timed
// out: one line naming it).
// Started once per rank by torchrun, srun or a Kubernetes Indexed Job, it
// finds the others from the environment (sprout/backend/rendezvous.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "export_command.h"
#include "prepare_command.h"
#include "sprout/backend/process_setup.h"
#include "sprout/backend/trainer.h"
#include "sprout/planner/base/exit_codes.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/version.h"

int main(int argc, char** argv) {
  using namespace sprout;
  backend::ensure_load_time_settings(argv);
  backend::keep_freed_memory();
  CLI::App app("sprout-train: run a sprout growth plan with LibTorch (MSG growth between stages)");
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", planner::version_line("sprout-train"));
  backend::TrainOptions o;
  app.add_option("--plan", o.plan_path, "Plan file (YAML)");
  app.add_option("--out", o.run_dir, "Run directory (telemetry.jsonl, summary.json, checkpoints/)");
  app.add_flag("--resume", o.resume, "Continue from the newest complete checkpoint in --out");
  app.add_option("--threads", o.threads, "Intra-op threads (default: the plan's, else all cores)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--data", o.data, "Token shard directory, Megatron-LM prefix or text file (overrides training.data)");
  app.add_option("--init-from", o.init_from,
                 "Start the first stage from this trained model: a run or checkpoint directory, or a Hugging Face "
                 "model (config.json + model.safetensors); overrides the first stage's init_from");
  app.add_option("--dtype", o.dtype, "fp32 | bf16 (overrides training.dtype)")->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--device", o.device, "auto | cpu | cuda (overrides training.device)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--stop-after-steps", o.stop_after_steps, "Checkpoint and stop after this global step")
      ->check(CLI::PositiveNumber);
  app.add_option("--zero1", o.zero1,
                 "ZeRO-1 optimizer-state sharding over data-parallel ranks: plan (each stage's "
                 "parallel.distributed_optimizer; on when a stage has no parallel:) | on | off")
      ->check(CLI::IsMember({"plan", "on", "off"}));
  std::string shard_local = "on";
  app.add_option("--shard-local-growth", shard_local,
                 "Between two tensor/pipeline-parallel stages: on (each rank builds its part of the grown or "
                 "re-cut model from the ranks' parts) | off (through the full model on every rank: more "
                 "memory, the same numbers)")
      ->check(CLI::IsMember({"on", "off"}));
  double bucket_mb = static_cast<double>(o.bucket_bytes) / (1 << 20);
  app.add_option("--bucket-mb", bucket_mb, "Gradient all-reduce bucket size in MiB (default 25, as PyTorch DDP)")
      ->check(CLI::Range(0.001, 65536.0));
  bool quiet = false;
  app.add_flag("--quiet", quiet, "No progress lines on stderr");
  train_cli::PrepareArgs prepare;
  train_cli::add_prepare_command(app, prepare);
  train_cli::ExportArgs export_args;
  train_cli::add_export_command(app, export_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (app.got_subcommand("prepare")) return train_cli::run_prepare(prepare);
    if (app.got_subcommand("export")) return train_cli::run_export(export_args);
    if (o.plan_path.empty() || o.run_dir.empty()) {
      std::cerr << "sprout-train: --plan and --out are required\n";
      return 2;
    }
    o.progress = !quiet;
    o.shard_local_growth = shard_local == "on";
    o.bucket_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
    const backend::TrainOutcome r = backend::train(o);
    if (r.finished) return planner::kExitOk;
    if (r.stopped_by_signal) return planner::kExitStoppedBySignal;
    return o.stop_after_steps > 0 ? planner::kExitOk : planner::kExitRuntimeFailure;
  } catch (const planner::InputError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::string what = e.what();
    std::cerr << "sprout-train: error: " << what.substr(0, what.find('\n')) << "\n";
    return 1;
  }
}
