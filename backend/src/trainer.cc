// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop, top to bottom: load and check the plan, find the data,
// start or resume, then for every stage: grow at its start, train its steps,
// evaluate, checkpoint, log. docs/backend.md describes the files it writes.
#include "sprout/backend/trainer.h"

#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include "energy_meter.h"
#include "file_io.h"
#include "run_dir.h"
#include "run_state.h"
#include "sprout/backend/batch_sampler.h"
#include "sprout/backend/communicator.h"
#include "sprout/backend/corpus.h"
#include "sprout/backend/lr_schedule.h"
#include "sprout/backend/stage_schedule.h"
#include "sprout/planner/atomic_file.h"
#include "sprout/planner/cost_model.h"
#include "sprout/planner/plan_loader.h"
#include "stop_signal.h"
#include "telemetry.h"
#include "training_step.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Where the shards come from: a prepared directory, or text (the default
// corpus when the plan names nothing) prepared into RUN_DIR/data.
struct DataSource {
  std::string shard_dir;                   // holds train.bin and val.bin
  std::vector<std::string> text_to_prepare;  // non-empty: prepare into shard_dir first
};

DataSource resolve_data(const std::string& data, const planner::Plan& plan, const RunDirPaths& paths) {
  const bool ready = fs::exists(fs::path(paths.data) / kTrainShardName);
  if (data.empty()) {
    DataSource d{paths.data, ready ? std::vector<std::string>{} : default_corpus_files()};
    if (!ready && d.text_to_prepare.empty()) {
      throw planner::InputError({plan.source_file, 0, 0}, "training.data",
                                "no data given and the default corpus (/usr/share/games/fortunes, Debian package "
                                "fortunes) is not installed: run scripts/install-deps.sh or set training.data");
    }
    return d;
  }
  if (fs::is_directory(data)) return {data, {}};
  if (!fs::exists(data)) {
    throw planner::InputError({data, 0, 0}, "training.data", "no such file or directory");
  }
  return {paths.data, ready ? std::vector<std::string>{} : std::vector<std::string>{data}};
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

class Trainer {
 public:
  explicit Trainer(const TrainOptions& o) : options_(o) {}
  TrainOutcome run();

 private:
  void prepare();
  RunState fresh_state() const;
  void grow_to_stage();
  void train_one_step();
  void finish_stage();
  void evaluate_and_log(const char* event);
  void checkpoint();
  void log_step(double loss, double lr, double grad_norm);
  void write_summary(bool complete);
  void account_time();
  torch::Device device() const { return device_; }
  const planner::Stage& stage() const { return plan_.stages[state().counters.stage_index]; }
  const StageSchedule& schedule() const { return schedules_[state().counters.stage_index]; }
  RunState& state() { return *state_; }
  const RunState& state() const { return *state_; }
  nlohmann::json base_record() const;
  EvalSpec eval_spec() const;

  TrainOptions options_;
  planner::Plan plan_;
  std::vector<StageSchedule> schedules_;
  RunDirPaths paths_;
  std::string fingerprint_;
  torch::Device device_ = torch::kCPU;
  bool bf16_ = false;
  int threads_ = 1;
  TokenShard train_shard_, val_shard_;
  double unigram_entropy_ = 0;
  SingleProcessCommunicator comm_;
  std::optional<RunState> state_;
  std::optional<CheckpointData> resume_from_;
  std::unique_ptr<EnergyMeter> energy_;
  std::unique_ptr<TelemetryLog> telemetry_;
  AdamWSettings adamw_;
  long long total_steps_ = 0;
  long long last_checkpoint_step_ = -1;
  double energy_base_j_ = 0;  // counters.energy_j when this process started
  double energy_mark_j_ = 0;  // meter reading at the last accounting
  Clock::time_point time_mark_;
  // Since the last log line: steps' own seconds and tokens (tokens/s).
  double log_seconds_ = 0;
  double log_tokens_ = 0;
  double flops_per_second_ = 0;
};

void Trainer::prepare() {
  plan_ = planner::load_plan(options_.plan_path);
  schedules_ = schedule_stages(plan_, comm_.world_size());
  for (const auto& s : schedules_) total_steps_ += s.steps;
  paths_ = run_dir_paths(options_.run_dir);
  fingerprint_ = plan_fingerprint_of_yaml(planner::plan_to_yaml(plan_));
  const planner::TrainingSettings& t = plan_.training;

  const std::string dtype = options_.dtype.empty() ? t.dtype : options_.dtype;
  if (dtype != "fp32" && dtype != "bf16") throw planner::InputError({"--dtype", 0, 0}, "dtype", "fp32 or bf16");
  bf16_ = dtype == "bf16";
  const std::string dev = options_.device.empty() ? t.device : options_.device;
  if (dev == "cuda" && !torch::cuda::is_available()) {
    throw planner::InputError({"--device", 0, 0}, "device", "cuda requested but no CUDA device/libtorch is available");
  }
  device_ = (dev == "cuda" || (dev == "auto" && torch::cuda::is_available())) ? torch::Device(torch::kCUDA)
                                                                                : torch::Device(torch::kCPU);
  // LibTorch defaults to one intra-op thread on this machine: use every core.
  threads_ = options_.threads > 0 ? options_.threads
             : t.threads > 0      ? static_cast<int>(t.threads)
                                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads_);
  adamw_ = {t.beta1, t.beta2, 1e-8, t.weight_decay};

  // Everything that can be wrong with the input is checked before anything
  // in the run directory is written.
  const DataSource data = resolve_data(options_.data.empty() ? t.data : options_.data, plan_, paths_);
  if (!options_.resume) check_fresh_run_dir(paths_);
  if (options_.resume) {
    CheckpointSearch found = load_newest_checkpoint(paths_.checkpoints);
    for (const auto& r : found.rejected) std::cerr << "sprout-train: skipping checkpoint " << r << "\n";
    if (!found.newest && !found.rejected.empty()) {
      throw planner::InputError({paths_.checkpoints, 0, 0}, "--resume", "no complete, intact checkpoint to resume from");
    }
    if (found.newest) {
      if (checkpoint_plan_fingerprint(found.newest->data) != fingerprint_) {
        throw planner::InputError({found.newest->path, 0, 0}, "plan",
                                  "the checkpoint was written by another plan (fingerprint differs); resume it "
                                  "with the plan in " + paths_.plan + " or choose a new --out");
      }
      std::cerr << "sprout-train: resuming from " << found.newest->path << "\n";
      resume_from_ = std::move(found.newest->data);
    } else {
      std::cerr << "sprout-train: --resume: no checkpoint yet, starting from the beginning\n";
    }
  }
  if (!data.text_to_prepare.empty() || data.shard_dir != paths_.data) {
    // Validate given shards before touching RUN_DIR.
    if (data.text_to_prepare.empty()) {
      train_shard_ = read_token_shard((fs::path(data.shard_dir) / kTrainShardName).string());
      val_shard_ = read_token_shard((fs::path(data.shard_dir) / kValidationShardName).string());
    }
  }

  fs::create_directories(paths_.root);
  if (!resume_from_ && !fs::exists(paths_.plan)) {
    planner::write_file_atomically(paths_.plan, planner::read_file(options_.plan_path));
  }
  if (!data.text_to_prepare.empty()) {
    PrepareOptions po;
    po.inputs = data.text_to_prepare;
    po.out_dir = paths_.data;
    std::cerr << "sprout-train: preparing " << po.inputs.size() << " text file(s) into " << po.out_dir << "\n";
    prepare_corpus(po);
  }
  if (!train_shard_.tokens.defined()) {
    train_shard_ = read_token_shard((fs::path(data.shard_dir) / kTrainShardName).string());
    val_shard_ = read_token_shard((fs::path(data.shard_dir) / kValidationShardName).string());
  }
  for (size_t i = 0; i < plan_.stages.size(); ++i) {
    if (static_cast<int64_t>(train_shard_.vocab) > plan_.stages[i].shape.vocab) {
      throw planner::InputError(plan_.stages[i].location, fmt::format("stages[{}].vocab", i),
                                fmt::format("{} is smaller than the data's vocabulary ({})",
                                            plan_.stages[i].shape.vocab, train_shard_.vocab));
    }
  }
  unigram_entropy_ = unigram_entropy_nats(train_shard_);
  energy_ = make_energy_meter(device_.is_cuda(), 0, planner::gpu_power_w(plan_.hardware, plan_.power_model));
}

RunState Trainer::fresh_state() const {
  const planner::Stage& first = plan_.stages.front();
  at::Generator init = make_cpu_generator(static_cast<uint64_t>(plan_.training.seed));
  GptModel model = make_gpt({first.shape, first.init_std, first.dropout}, init, device_);
  AdamWState opt = make_adamw_state(model.parameters());
  RunCounters c;
  c.plan_fingerprint = fingerprint_;
  for (const auto& st : plan_.stages) c.stages.push_back(StageRecord{st.name});
  return {c, std::move(model), std::move(opt), std::nullopt,
          make_cpu_generator(splitmix64(static_cast<uint64_t>(plan_.training.seed) ^ 0xd50d0u))};
}

nlohmann::json Trainer::base_record() const {
  const RunCounters& c = state().counters;
  const size_t si = std::min(c.stage_index, plan_.stages.size() - 1);
  return {{"step", c.global_step},
          {"stage", plan_.stages[si].name},
          {"stage_index", si},
          {"rank_count", comm_.world_size()},
          {"tokens", c.tokens},
          {"model_flops", c.model_flops},
          {"energy_j", c.energy_j},
          {"energy_source", energy_->source()}};
}

EvalSpec Trainer::eval_spec() const {
  const size_t si = std::min(state().counters.stage_index, plan_.stages.size() - 1);
  return {&val_shard_, plan_.stages[si].shape.seq_len, schedules_[si].micro_batch, plan_.training.eval_batches,
          bf16_, device_};
}

// Wall time and energy since the last mark go to the current stage.
void Trainer::account_time() {
  RunCounters& c = state().counters;
  const double joules = energy_->joules();
  const size_t si = std::min(c.stage_index, c.stages.size() - 1);
  c.stages[si].wall_seconds += seconds_since(time_mark_);
  c.stages[si].energy_j += joules - energy_mark_j_;
  c.energy_j = energy_base_j_ + joules;
  energy_mark_j_ = joules;
  time_mark_ = Clock::now();
}

void Trainer::evaluate_and_log(const char* event) {
  const GrowthMasks masks = state().ramp ? make_growth_masks(*state().ramp, device_) : GrowthMasks{};
  const double val = evaluate(state().model, state().ramp ? &masks : nullptr, eval_spec(), comm_);
  nlohmann::json r = base_record();
  r["event"] = event;
  r["val_loss"] = val;
  telemetry_->append(r);
  RunCounters& c = state().counters;
  c.stages[std::min(c.stage_index, c.stages.size() - 1)].final_val_loss = val;
}

void Trainer::grow_to_stage() {
  RunState& st = state();
  const size_t si = st.counters.stage_index;
  const planner::Stage& to = stage();
  const GptModel old = st.model;
  const double val_before = evaluate(old, nullptr, eval_spec(), comm_);
  // New weights come from a generator seeded by the plan's seed and the
  // stage, so a resumed run grows exactly as an uninterrupted one.
  at::Generator gen = make_cpu_generator(splitmix64(static_cast<uint64_t>(plan_.training.seed) + 1000003ULL * si));
  GrownModel grown = grow_gpt(old, {to.shape, to.init_std, to.dropout}, schedule().grow_steps, gen);
  st.optimizer = grow_adamw_state(st.optimizer, old, grown);
  st.model = std::move(grown.model);
  st.ramp = grown.ramp.active() ? std::optional<GrowthRamp>(grown.ramp) : std::nullopt;
  const GrowthMasks masks = st.ramp ? make_growth_masks(*st.ramp, device_) : GrowthMasks{};
  const double val_after = evaluate(st.model, st.ramp ? &masks : nullptr, eval_spec(), comm_);

  nlohmann::json r = base_record();
  r["event"] = "grow";
  r["from"] = shape_to_json(old.shape());
  r["to"] = shape_to_json(to.shape);
  r["grow_steps"] = schedule().grow_steps;
  r["val_loss_before"] = val_before;
  r["val_loss_after"] = val_after;
  r["train_loss_before"] = st.counters.last_train_loss;
  telemetry_->append(r);
  if (options_.progress) {
    const auto& a = old.shape();
    std::cerr << fmt::format(
        "sprout-train: grew to stage '{}': layers {}->{} hidden {}->{} heads {}->{} ffn {}->{}; "
        "val loss {:.4f} -> {:.4f} at mask 0 ({:+.3f}%)\n",
        to.name, a.layers, to.shape.layers, a.hidden, to.shape.hidden, a.heads, to.shape.heads, a.ffn_hidden,
        to.shape.ffn_hidden, val_before, val_after, 100.0 * (val_after - val_before) / val_before);
  }
}

void Trainer::train_one_step() {
  RunState& st = state();
  RunCounters& c = st.counters;
  const planner::Stage& s = stage();
  const StageSchedule& sc = schedule();
  LrSchedule lr_schedule{s.lr, sc.steps, sc.warmup_steps, plan_.training.min_lr_fraction};
  StepSpec spec{&train_shard_, s.shape.seq_len, static_cast<uint64_t>(plan_.training.seed), c.sequences_consumed,
                sc.micro_batch, sc.accumulation, learning_rate(lr_schedule, c.step_in_stage),
                plan_.training.grad_clip, bf16_, device_};
  const GrowthMasks masks = st.ramp ? make_growth_masks(*st.ramp, device_) : GrowthMasks{};
  const auto t0 = Clock::now();
  StepResult r = train_step(st.model, st.optimizer, adamw_, st.ramp ? &masks : nullptr, spec, comm_,
                            st.dropout_generator);
  const double step_seconds = seconds_since(t0);
  if (!std::isfinite(r.loss)) throw std::runtime_error(fmt::format("loss is {} at step {}", r.loss, c.global_step + 1));
  if (st.ramp) {
    // The mask reaches exactly 1 after grow_steps steps; then the ramp (and
    // with it every mask operation) is dropped from the forward pass.
    st.ramp->steps_done += 1;
    if (!st.ramp->active()) st.ramp.reset();
  }
  const double step_tokens = static_cast<double>(sc.sequences_per_step) * s.shape.seq_len;
  const double step_flops = planner::model_flops_per_token(s.shape) * step_tokens;
  c.global_step += 1;
  c.step_in_stage += 1;
  c.sequences_consumed += sc.sequences_per_step;
  c.tokens += step_tokens;
  c.model_flops += step_flops;
  c.last_train_loss = r.loss;
  StageRecord& rec = c.stages[c.stage_index];
  rec.steps += 1;
  rec.tokens += step_tokens;
  rec.model_flops += step_flops;
  rec.final_train_loss = r.loss;
  log_seconds_ += step_seconds;
  log_tokens_ += step_tokens;
  flops_per_second_ = step_flops / std::max(1e-9, step_seconds);
  account_time();
  if (c.global_step % plan_.training.log_every_steps == 0 || c.step_in_stage == sc.steps) {
    log_step(r.loss, spec.lr, r.grad_norm);
  }
}

void Trainer::log_step(double loss, double lr, double grad_norm) {
  const RunCounters& c = state().counters;
  const planner::Stage& s = stage();
  const double tokens_per_s = log_tokens_ / std::max(1e-9, log_seconds_);
  log_seconds_ = log_tokens_ = 0;
  nlohmann::json r = base_record();
  r["loss"] = loss;
  r["lr"] = lr;
  r["grad_norm"] = grad_norm;
  r["tokens_per_s"] = tokens_per_s;
  // Per rank, by the planner's FLOPs formula (model FLOPs: no recompute).
  r["tflops_per_gpu"] = planner::model_flops_per_token(s.shape) * tokens_per_s / comm_.world_size() / 1e12;
  if (state().ramp) r["mask"] = state().ramp->mask_value();
  telemetry_->append(r);
  if (!options_.progress) return;
  // ETA: the FLOPs left in the plan at the current FLOP rate.
  double flops_left = 0;
  for (size_t i = c.stage_index; i < plan_.stages.size(); ++i) {
    const long long steps_left = schedules_[i].steps - (i == c.stage_index ? c.step_in_stage : 0);
    flops_left += static_cast<double>(steps_left) * static_cast<double>(schedules_[i].sequences_per_step) *
                  plan_.stages[i].shape.seq_len * planner::model_flops_per_token(plan_.stages[i].shape);
  }
  std::cerr << fmt::format("sprout-train: [{}/{} {}] step {}/{} (total {}/{}) loss {:.4f} lr {:.2e} {:.0f} tok/s{} ETA {}\n",
                           c.stage_index + 1, plan_.stages.size(), s.name, c.step_in_stage, schedule().steps,
                           c.global_step, total_steps_, loss, lr, tokens_per_s,
                           state().ramp ? fmt::format(" mask {:.2f}", state().ramp->mask_value()) : "",
                           format_duration(flops_left / std::max(1.0, flops_per_second_)));
}

void Trainer::finish_stage() {
  RunCounters& c = state().counters;
  evaluate_and_log("eval");
  c.stages[c.stage_index].done = true;
  account_time();
  if (options_.progress) {
    const StageRecord& r = c.stages[c.stage_index];
    std::cerr << fmt::format("sprout-train: stage '{}' done: {} steps, {:.0f} tokens, {:.1f} s, train loss {:.4f}, "
                             "val loss {:.4f}\n",
                             r.name, r.steps, r.tokens, r.wall_seconds, r.final_train_loss, r.final_val_loss);
  }
  c.stage_index += 1;
  c.step_in_stage = 0;
  write_summary(c.stage_index == plan_.stages.size());
}

void Trainer::write_summary(bool complete) {
  const RunCounters& c = state().counters;
  nlohmann::json j;
  j["plan"] = plan_.name;
  j["complete"] = complete;
  j["rank_count"] = comm_.world_size();
  j["device"] = device_.str();
  j["threads"] = threads_;
  j["dtype"] = bf16_ ? "bf16" : "fp32";
  j["energy_source"] = energy_->source();
  j["unigram_entropy_nats"] = unigram_entropy_;
  j["steps"] = c.global_step;
  j["stages"] = nlohmann::json::array();
  StageRecord total{"total"};
  for (const auto& r : c.stages) {
    j["stages"].push_back(stage_record_json(r, comm_.world_size()));
    total.steps += r.steps;
    total.tokens += r.tokens;
    total.wall_seconds += r.wall_seconds;
    total.energy_j += r.energy_j;
    total.model_flops += r.model_flops;
    if (r.done) {
      total.final_train_loss = r.final_train_loss;
      total.final_val_loss = r.final_val_loss;
    }
  }
  total.done = complete;
  j["total"] = stage_record_json(total, comm_.world_size());
  planner::write_file_atomically(paths_.summary, j.dump(2) + "\n");
}

void Trainer::checkpoint() {
  const RunCounters& c = state().counters;
  if (last_checkpoint_step_ == c.global_step) return;
  account_time();
  const std::string dir = write_checkpoint(paths_.checkpoints, c.global_step, to_checkpoint(state()),
                                           static_cast<int>(plan_.training.keep_checkpoints));
  last_checkpoint_step_ = c.global_step;
  nlohmann::json r = base_record();
  r["event"] = "checkpoint";
  r["path"] = dir;
  telemetry_->append(r);
}

TrainOutcome Trainer::run() {
  prepare();
  install_stop_signal_handlers();
  if (resume_from_) {
    state_.emplace(from_checkpoint(*resume_from_));
    state().model = GptModel(state().model.settings(), state().model.specs(), [&] {
      std::vector<torch::Tensor> moved;
      for (auto& p : state().model.parameters()) moved.push_back(p.detach().to(device_).set_requires_grad(true));
      return moved;
    }());
    for (auto& m : state().optimizer.moments) {
      m.exp_avg = m.exp_avg.to(device_);
      m.exp_avg_sq = m.exp_avg_sq.to(device_);
    }
    TelemetryLog::truncate_after(paths_.telemetry, state().counters.global_step);
    last_checkpoint_step_ = state().counters.global_step;
  } else {
    state_.emplace(fresh_state());
  }
  telemetry_ = std::make_unique<TelemetryLog>(paths_.telemetry);
  energy_base_j_ = state().counters.energy_j;
  time_mark_ = Clock::now();
  if (resume_from_) {
    nlohmann::json r = base_record();
    r["event"] = "resume";
    telemetry_->append(r);
  }
  if (options_.progress) {
    std::cerr << fmt::format("sprout-train: plan '{}': {} stage(s), {} steps; {} on {} thread(s), {}; "
                             "{} train / {} val tokens (unigram entropy {:.4f} nats)\n",
                             plan_.name, plan_.stages.size(), total_steps_, device_.str(), threads_,
                             bf16_ ? "bf16 autocast" : "fp32", train_shard_.size(), val_shard_.size(),
                             unigram_entropy_);
  }

  TrainOutcome out;
  out.total_steps = total_steps_;
  const auto& t = plan_.training;
  while (state().counters.stage_index < plan_.stages.size()) {
    RunCounters& c = state().counters;
    if (!same_shape(state().model.shape(), stage().shape)) grow_to_stage();
    train_one_step();
    if (c.step_in_stage >= schedule().steps) {
      finish_stage();
    } else if (c.global_step % t.eval_every_steps == 0) {
      evaluate_and_log("eval");
    }
    if (c.global_step % t.checkpoint_every_steps == 0) checkpoint();
    const bool signalled = stop_requested();
    if (signalled || (options_.stop_after_steps > 0 && c.global_step >= options_.stop_after_steps)) {
      checkpoint();
      write_summary(c.stage_index == plan_.stages.size());
      if (options_.progress) {
        std::cerr << fmt::format("sprout-train: stopped after step {} ({}); resume with --resume\n", c.global_step,
                                 signalled ? "signal" : "--stop-after-steps");
      }
      out.global_step = c.global_step;
      out.stopped_by_signal = signalled;
      out.finished = c.stage_index == plan_.stages.size();
      return out;
    }
  }
  checkpoint();
  write_summary(true);
  out.global_step = state().counters.global_step;
  out.finished = true;
  return out;
}

}  // namespace

TrainOutcome train(const TrainOptions& options) { return Trainer(options).run(); }

}  // namespace sprout::backend
