// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop, top to bottom: load and check the plan, meet the other
// ranks, find the data, start or resume, then for every stage: grow at its
// start, hand the model to the stage's runtime (data- or model-parallel,
// run/stage_runtime.h), train its steps, evaluate, checkpoint, log. Every
// rank runs this loop in lockstep; rank 0 alone writes the run directory
// (the ranks' checkpoint shards aside). docs/backend.md describes the files
// it writes.
#include "sprout/backend/trainer.h"

#include <fmt/format.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <utility>

#include "checkpoint/resume_point.h"
#include "checkpoint/shard_local_resume.h"
#include "comm/make_communicator.h"
#include "comm/rank_agreement.h"
#include "data/data_source.h"
#include "device/memory_meter.h"
#include "export/model_import.h"
#include "run/device_choice.h"
#include "run/growth_step.h"
#include "run/run_accounting.h"
#include "run/run_dir.h"
#include "run/run_provenance.h"
#include "run/run_summary.h"
#include "run/spike_guard.h"
#include "run/stage_runtime.h"
#include "run/stage_schedule.h"
#include "run/step_meter.h"
#include "run/step_specs.h"
#include "run/stop_signal.h"
#include "run/telemetry.h"
#include "sprout/planner/base/referenced_input.h"
#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/plan/trainer_limits.h"
#include "step/fused_attention.h"

namespace sprout::backend {
namespace {

class Trainer {
 public:
  Trainer(const TrainOptions& o, Rendezvous r) : options_(o), rendezvous_(std::move(r)) {}
  TrainOutcome run();

 private:
  void load_plan();
  void check_inputs(const DataSource& data);
  void read_data(const DataSource& d) {
    at_the_data_key([&] {
      if (!data_) data_ = open_training_data(d, plan_, data_needs(plan_, schedules_));
    });
  }
  // The data the plan names is reported at its `training.data` line, the
  // inner error (which file, which field) kept; --data's errors as they are.
  void at_the_data_key(const std::function<void()>& read) const {
    if (!options_.data.empty() || !plan_.training.key_locations.count("data")) return read();
    planner::load_referenced(planner::training_key_location(plan_, "data"), "training.data", read);
  }
  void resume_or_start();
  std::optional<RankShare> resume_share(const CheckpointState& checkpoint_state) const;
  std::optional<RunState> load_resume_state(const std::string& dir, bool& unreadable);
  void start_stage();
  bool take_over_parts();
  void log_growth(const planner::ModelShape& from, double val_before, double val_after);
  RuntimeContext runtime_context();
  // Stage i as its runtime trains it on this run's ranks.
  RuntimeStage stage_runtime_at(size_t i) const {
    return runtime_stage(plan_.stages[i], schedules_[i], ranks(), options_.zero1);
  }
  void configure_runtime(const OptimizerSharding& held);
  bool train_one_step();
  void roll_back();
  void log_spike(long long step, std::optional<std::string> restored) {
    planner::TelemetryRecord e = spike_guard_.event(record("spike"), step, std::move(restored));
    progress(spike_progress_line(e));
    log(std::move(e));
  }
  void log_step(double loss, double lr, double grad_norm);
  void finish_stage();
  // stage_end: the stage's last evaluation, which also reports every rank's
  // steady-state peak memory in the stage.
  void evaluate_and_log(bool stage_end = false);
  // Every rank's `mine`, by rank (collective).
  std::vector<double> per_rank(double mine) {
    std::vector<double> v(static_cast<size_t>(ranks()), 0.0);
    v[static_cast<size_t>(rendezvous_.rank)] = mine;
    return sum_over_ranks(*comm_, v);
  }
  void checkpoint();
  RunDescription description() const {
    return with_stage_kernels({.plan_name = plan_.name,
                               .rank_count = ranks(),
                               .device = device_.str(),
                               .threads = threads_,
                               .dtype = bf16_ ? "bf16" : "fp32",
                               .energy_source = accounting_->energy_source(),
                               .energy_model_power_w = model_power_w(),
                               .collectives = comm_->backend_name(),
                               .rendezvous = rendezvous_.style,
                               .bucket_bytes = options_.bucket_bytes,
                               .collective_timeout_s = plan_.training.collective_timeout_s,
                               .unigram_entropy_nats = data_->source->unigram_entropy_nats(),
                               .recompute = {},
                               .attention = {},
                               .layouts = {},
                               .provenance = run_provenance(device_, ranks())},
                              plan_, schedules_, options_.zero1);
  }
  // The power the energy estimate assumes when no meter reads the device.
  double model_power_w() const { return planner::gpu_power_w(plan_.cluster.hardware, plan_.cluster.power_model); }
  void write_summary(bool complete);
  TrainOutcome stop(bool signalled);
  // Every rank's counters agree, and (model_too) the model's replicas.
  void check_replicas(const std::string& when, bool model_too = true);
  planner::TelemetryRecord record(std::string event) const {
    return telemetry_record(plan_, state().counters, ranks(), accounting_->energy_source(), std::move(event));
  }
  // The first record this process logs says what produced the run.
  void log(planner::TelemetryRecord r) {
    if (!is_root()) return;
    if (!provenance_logged_) r.provenance = run_provenance(device_, ranks());
    provenance_logged_ = true;
    telemetry_->append(std::move(r));
  }
  void progress(const std::string& line) const {
    if (options_.progress && is_root()) std::cerr << "sprout-train: " << line << "\n";
  }
  EvalSpec eval_spec() const {
    return backend::eval_spec(plan_, schedules_, state().counters, *data_, {bf16_, device_});
  }
  GrowthMasks growth_masks() const { return state().ramp ? make_growth_masks(*state().ramp, device_) : GrowthMasks{}; }
  bool is_root() const { return rendezvous_.rank == 0; }
  int ranks() const { return rendezvous_.world_size; }
  const planner::Stage& stage() const { return plan_.stages[state().counters.stage_index]; }
  const StageSchedule& schedule() const { return schedules_[state().counters.stage_index]; }
  RunState& state() { return *state_; }
  const RunState& state() const { return *state_; }

  TrainOptions options_;
  std::string init_from_field_ = "--init-from";  // where options_.init_from came from, for its errors
  Rendezvous rendezvous_;
  planner::Plan plan_;
  std::vector<StageSchedule> schedules_;
  RunDirPaths paths_;
  std::string fingerprint_;
  torch::Device device_ = torch::kCPU;
  bool bf16_ = false;
  int threads_ = 1;
  AdamWSettings adamw_;
  std::optional<TrainingData> data_;
  std::unique_ptr<Communicator> comm_;
  std::optional<long long> resume_step_;   // rank 0's choice, then every rank's
  std::optional<RunState> resume_state_;   // rank 0: read (and checked) while checking the input
  std::vector<double> resume_bytes_read_;  // checkpoint bytes each rank read to resume (index: rank)
  std::optional<RunState> state_;
  std::optional<RunAccounting> accounting_;
  std::unique_ptr<TelemetryLog> telemetry_;  // rank 0 only
  std::optional<StepMeter> meter_;
  std::optional<MemoryMeter> memory_;                    // this rank's device memory (activation and record peaks)
  std::map<std::string, ProcessGroups> process_groups_;  // every layout's, built once
  long long steady_peak_bytes_ = 0;        // this rank's largest step peak in this stage so far, its first step's aside
  int takeovers_ = 0;                      // stage starts from parts so far (RuntimeContext::exchange_name)
  std::unique_ptr<StageRuntime> runtime_;  // the current stage's
  std::optional<size_t> configured_stage_;  // the stage runtime_ is for
  long long last_checkpoint_step_ = -1;
  SpikeGuard spike_guard_{std::nullopt};
  bool provenance_logged_ = false;
};

// The whole run; the steps it calls follow in the order they run.
TrainOutcome Trainer::run() {
  // First, so a preemption signal during start-up is a stop request, not death.
  install_stop_signal_handlers();
  load_plan();
  const std::chrono::seconds timeout(plan_.training.collective_timeout_s);
  comm_ = make_communicator(rendezvous_, device_, timeout, timeout);
  DataSource data;
  run_on_every_rank(*comm_, [&] {
    at_the_data_key(
        [&] { data = resolve_data(options_.data.empty() ? plan_.training.data : options_.data, plan_, paths_.data); });
    check_inputs(data);
  });
  run_on_every_rank(*comm_, [&] {
    if (!is_root()) return;
    prepare_run_dir(paths_, options_.plan_path, plan_.stages.front().init_from, resume_step_.has_value());
    prepare_data(data, [this](const std::string& line) { progress(line); });
  });
  run_on_every_rank(*comm_, [&] { read_data(data); });
  auto energy = make_energy_meter(device_.is_cuda(), device_.is_cuda() ? device_.index() : 0, model_power_w());
  resume_or_start();
  accounting_.emplace(std::move(energy), rendezvous_.local_rank == 0, state().counters);
  if (is_root()) telemetry_ = std::make_unique<TelemetryLog>(paths_.telemetry);
  if (resume_step_) {
    planner::TelemetryRecord r = record("resume");
    r.resume_bytes_read = resume_bytes_read_;
    log(std::move(r));
  }
  progress(run_start_line(description(), plan_.stages.size(), total_steps(schedules_), *data_->source));

  // Started from a trained model: its validation loss before any step (the source's last evaluation).
  if (!resume_step_ && !options_.init_from.empty()) {
    start_stage();
    evaluate_and_log();
  }
  const planner::TrainingSettings& t = plan_.training;
  while (state().counters.stage_index < plan_.stages.size()) {
    const RunCounters& c = state().counters;
    if (configured_stage_ != c.stage_index) start_stage();
    if (!train_one_step()) continue;  // rolled back: from the restored checkpoint on
    if (c.step_in_stage >= schedule().steps) {
      finish_stage();
    } else if (c.global_step % t.eval_every_steps == 0) {
      evaluate_and_log();
    }
    if (c.global_step % t.checkpoint_every_steps == 0) checkpoint();
    // A signal on any rank stops every rank after the same step.
    const bool signalled = any_rank(*comm_, stop_requested());
    if (signalled || (options_.stop_after_steps > 0 && c.global_step >= options_.stop_after_steps)) {
      return stop(signalled);
    }
  }
  checkpoint();
  write_summary(true);
  return {state().counters.global_step, total_steps(schedules_), true, false};
}

// Every rank alike, before meeting the others: the plan and what it asks for.
void Trainer::load_plan() {
  plan_ = planner::load_plan(options_.plan_path);
  planner::require_trainer_can_run(plan_);
  check_attention_kernels(plan_);
  schedules_ = schedule_stages(plan_, ranks());
  paths_ = run_dir_paths(options_.run_dir);
  fingerprint_ = layout_independent_fingerprint(plan_);
  // The plan's first stage may name the model it starts from; --init-from overrides it.
  if (options_.init_from.empty() && !plan_.stages.front().init_from.empty()) {
    options_.init_from = plan_.stages.front().init_from;
    init_from_field_ = plan_.stages.front().field_path + ".init_from";
  }
  const planner::TrainingSettings& t = plan_.training;
  const std::string dtype = options_.dtype.empty() ? t.dtype : options_.dtype;
  if (dtype != "fp32" && dtype != "bf16") throw planner::InputError({"--dtype", 0, 0}, "dtype", "fp32 or bf16");
  bf16_ = dtype == "bf16";
  device_ =
      resolve_device(options_.device.empty()
                         ? DeviceRequest{t.device, planner::training_key_location(plan_, "device"), "training.device"}
                         : DeviceRequest{options_.device},
                     rendezvous_);
  threads_ = choose_thread_count(options_.threads, t.threads, rendezvous_.local_world_size);
  torch::set_num_threads(threads_);
  memory_.emplace(device_);
  adamw_ = {t.beta1, t.beta2, 1e-8, t.weight_decay};
  meter_.emplace(plan_, schedules_, ranks());
  spike_guard_ = SpikeGuard(t.spike);
}

// Everything that can be wrong with the input, checked before anything in
// the run directory is written. No collectives: run_on_every_rank wraps it.
void Trainer::check_inputs(const DataSource& data) {
  if (!options_.resume) check_fresh_run_dir(paths_);
  if (options_.resume && is_root()) {
    const ShardLocalTest shard_local = [this](const CheckpointState& s) { return resume_share(s).has_value(); };
    if (std::optional<ResumePoint> found =
            find_resume_point(paths_.checkpoints, fingerprint_, paths_.plan, shard_local)) {
      resume_step_ = found->step;
      if (found->state) resume_state_.emplace(std::move(*found->state));
    } else {
      progress("--resume: no checkpoint yet, starting from the beginning");
    }
  }
  if (!options_.resume && !options_.init_from.empty()) {
    check_init_from(plan_.stages.front().shape, options_.init_from, init_from_field_);
  }
  // Given data is checked before RUN_DIR is touched.
  if (data.text_to_prepare.empty() && data.parts.front().path != paths_.data) read_data(data);
}

// All ranks load the checkpoint rank 0 chose (a shared run directory), or
// build the same fresh model from the plan's seed. Into a tensor/pipeline-
// parallel stage each rank reads only its part; should a record fail its
// CRC-32 on any rank, every rank searches the checkpoints again reading them
// whole (skipping corrupt ones, as a data-parallel resume does).
void Trainer::resume_or_start() {
  std::vector<double> chosen = {is_root() && resume_step_ ? static_cast<double>(*resume_step_ + 1) : 0.0};
  chosen = sum_over_ranks(*comm_, chosen);
  if (chosen[0] > 0) resume_step_ = static_cast<long long>(chosen[0]) - 1;
  bool unreadable = false;
  run_on_every_rank(*comm_, [&] {
    if (!resume_step_) {
      state_.emplace(fresh_run_state(plan_, fingerprint_, device_));
      // Growing from a trained model: its weights, fresh optimizer state.
      if (!options_.init_from.empty()) load_init_from(state().model, options_.init_from, init_from_field_);
      return;
    }
    const std::string dir = checkpoint_dir(paths_.checkpoints, *resume_step_);
    progress("resuming from " + dir);
    if (!resume_state_) resume_state_ = load_resume_state(dir, unreadable);
    if (resume_state_) state_.emplace(std::move(*resume_state_));
    resume_state_.reset();
  });
  if (resume_step_ && any_rank(*comm_, unreadable)) {
    run_on_every_rank(*comm_, [&] {
      auto found = find_resume_point(paths_.checkpoints, fingerprint_, paths_.plan,
                                     [](const CheckpointState&) { return false; });
      if (!found) throw planner::InputError({paths_.checkpoints, 0, 0}, "--resume", "no checkpoint to resume from");
      resume_step_ = found->step;
      state_.emplace(std::move(*found->state));
    });
  }
  if (resume_step_) {
    move_to_device(state(), device_);
    if (is_root()) TelemetryLog::truncate_after(paths_.telemetry, state().counters.global_step);
    last_checkpoint_step_ = state().counters.global_step;
    // What each rank read of the checkpoint (rank 0 also the newer ones it skipped).
    resume_bytes_read_ = per_rank(static_cast<double>(checkpoint_bytes_read()));
  }
  check_replicas(resume_step_ ? "after resume" : "at start");
}

// This rank's part when the checkpoint resumes into a tensor/pipeline-
// parallel stage with the model it holds; with a growth due first, its part
// under the stage before's layout when that stage is tensor/pipeline-
// parallel too (the growth is then shard-local: start_stage).
std::optional<RankShare> Trainer::resume_share(const CheckpointState& checkpoint_state) const {
  const size_t index = checkpoint_state.counters.stage_index;
  if (index >= plan_.stages.size()) return std::nullopt;
  const StageLayout layout = stage_runtime_at(index).layout;
  if (!layout.splits_model()) return std::nullopt;
  if (same_shape(checkpoint_state.shape, plan_.stages[index].shape)) return RankShare(layout, rendezvous_.rank);
  if (index == 0 || !options_.shard_local_growth || !same_shape(checkpoint_state.shape, plan_.stages[index - 1].shape))
    return std::nullopt;
  const StageLayout before = stage_runtime_at(index - 1).layout;
  if (!before.splits_model()) return std::nullopt;
  return RankShare(before, rendezvous_.rank);
}

// Nothing, and `unreadable` set, when this rank's part failed to read (a record's CRC-32).
std::optional<RunState> Trainer::load_resume_state(const std::string& dir, bool& unreadable) {
  try {
    if (auto part = load_rank_part(dir, [this](const CheckpointState& s) { return resume_share(s); })) {
      return std::move(*part);
    }
  } catch (const planner::InputError&) {
    throw;
  } catch (const std::runtime_error& e) {
    std::cerr << "sprout-train: rank " << rendezvous_.rank << ": " << e.what() << "\n";
    unreadable = true;
    return std::nullopt;
  }
  return from_checkpoint(load_checkpoint(dir).data, dir);
}

// The stage's runtime takes over the model: from the last stage's parts
// unless both stages are data-parallel (take_over_parts), else the full
// model as the last stage's runtime gives it back (or as loaded), grown
// first (every rank alike) when the stage's shape differs. The growth logs the old model's validation loss
// and the grown model's at mask 0.
void Trainer::start_stage() {
  RunState& st = state();
  steady_peak_bytes_ = 0;
  // Resumed with a growth due: the stage before's runtime takes what this
  // rank holds (its part, resume_share, or the whole model), and the growth
  // starts from it as without the resume.
  const size_t index = st.counters.stage_index;
  if (!runtime_ && options_.shard_local_growth && index > 0 && !same_shape(st.model.shape(), stage().shape) &&
      same_shape(st.model.shape(), plan_.stages[index - 1].shape)) {
    runtime_ = make_stage_runtime(runtime_context(), stage_runtime_at(index - 1));
    runtime_->configure(st, replicated_sharding(st.model.size()));
  }
  if (runtime_ && options_.shard_local_growth && take_over_parts()) return;
  OptimizerSharding held = replicated_sharding(st.model.size());  // loaded or fresh: every rank holds every moment
  if (runtime_) {
    runtime_->assemble_full_model(st);
    held = runtime_->full_model_moments();
    runtime_.reset();
  }
  if (same_shape(st.model.shape(), stage().shape)) {
    configure_runtime(held);
    return;
  }

  const planner::ModelShape from = st.model.shape();
  const double val_before = evaluate(st.model, nullptr, eval_spec(), *comm_);
  held = grow_run_state(st, plan_, st.counters.stage_index, schedule().grow_steps, held);
  configure_runtime(held);
  check_replicas("after growing to stage '" + stage().name + "'");
  const GrowthMasks masks = growth_masks();
  log_growth(from, val_before, evaluate(st.model, st.ramp ? &masks : nullptr, eval_spec(), *comm_));
}

// Shard-local (docs/backend.md "Shard-local growth"): each rank builds its
// part of the stage's model, grown or re-cut, from the parts of the last
// stage (a data-parallel stage's part: the whole model), and no rank that
// does not train the full model holds it. False, nothing done, when both
// stages are data-parallel (every rank grows the whole model it holds).
bool Trainer::take_over_parts() {
  RunState& st = state();
  std::unique_ptr<StageRuntime> next = make_stage_runtime(runtime_context(), stage_runtime_at(st.counters.stage_index));
  if (!runtime_->holds_parts() && !next->holds_parts()) return false;
  const planner::ModelShape from = st.model.shape();
  const bool grows = !same_shape(from, stage().shape);
  const double val_before = grows ? runtime_->evaluate(st, nullptr, eval_spec()) : 0.0;
  next->take_over_parts(st, *runtime_, {stage().shape, stage().init_std, stage().dropout},
                        growth_seed(plan_, st.counters.stage_index));
  runtime_ = std::move(next);
  ++takeovers_;
  configured_stage_ = st.counters.stage_index;
  meter_->begin_stage(state().counters.stage_index, runtime_->pipeline());
  if (!grows) return true;
  const GrowthRamp ramp = make_growth_ramp(from, stage().shape, schedule().grow_steps);
  st.ramp = ramp.active() ? std::optional<GrowthRamp>(ramp) : std::nullopt;
  check_replicas("after growing to stage '" + stage().name + "'", /*model_too=*/false);
  const GrowthMasks masks = growth_masks();
  log_growth(from, val_before, runtime_->evaluate(st, st.ramp ? &masks : nullptr, eval_spec()));
  return true;
}

void Trainer::log_growth(const planner::ModelShape& from, double val_before, double val_after) {
  planner::TelemetryRecord r = grow_record(record("grow"), from, stage().shape, schedule().grow_steps, val_before,
                                           val_after, state().counters.last_train_loss);
  if (memory_->measures()) {
    r.peak_memory_bytes = memory_->take_peak_bytes();
    r.rank_peak_memory_bytes = per_rank(static_cast<double>(*r.peak_memory_bytes));
  }
  log(std::move(r));
  progress(growth_progress_line(stage().name, from, stage().shape, val_before, val_after));
}

RuntimeContext Trainer::runtime_context() {
  return {.world = comm_.get(),
          .rank = rendezvous_.rank,
          .device = device_,
          .adamw = adamw_,
          .bucket_bytes = options_.bucket_bytes,
          .process_groups = &process_groups_,
          .progress = [this](const std::string& line) { progress(line); },
          .exchange_name = fmt::format("stage-boundary/{}", takeovers_)};
}

void Trainer::configure_runtime(const OptimizerSharding& held) {
  runtime_ = make_stage_runtime(runtime_context(), stage_runtime_at(state().counters.stage_index));
  runtime_->configure(state(), held);
  configured_stage_ = state().counters.stage_index;
  meter_->begin_stage(state().counters.stage_index, runtime_->pipeline());
}

// One step; false when a loss spike rolled the run back (training.spike).
bool Trainer::train_one_step() {
  RunState& st = state();
  StepSpec spec = next_step_spec(plan_, schedule(), st.counters, *data_, {bf16_, device_}, options_.bucket_bytes);
  spec.memory = memory_->measures() ? &*memory_ : nullptr;
  spike_guard_.watch(spec, st.counters.recent_losses);
  const GrowthMasks masks = growth_masks();
  const auto t0 = Clock::now();
  const ParallelStepResult r = runtime_->step(st, spec, st.ramp ? &masks : nullptr);
  const double step_seconds = seconds_since(t0);
  const double loss = r.step.loss;
  if (spike_guard_.rolls_back()) return roll_back(), false;
  spike_guard_.require_finite(loss, st.counters.global_step + 1);
  advance_growth_ramp(st);
  const double step_tokens = count_trained_step(st.counters, stage(), schedule(), loss);
  meter_->add_step(step_seconds, step_tokens, r);
  accounting_->account(*comm_, st.counters);
  spike_guard_.after_step(loss, st.counters.recent_losses);
  if (std::isfinite(loss) &&
      (st.counters.global_step % plan_.training.log_every_steps == 0 || st.counters.step_in_stage == schedule().steps))
    log_step(loss, spec.lr, r.step.grad_norm);
  if (spike_guard_.spiked()) log_spike(st.counters.global_step, std::nullopt);
  return true;
}

// training.spike's rollback: every rank resumes from the last checkpoint (or
// starts afresh) and goes on with the data after the bad batch.
void Trainer::roll_back() {
  const RunCounters spent = state().counters;
  spike_guard_.count_rollback(last_checkpoint_step_);
  runtime_.reset();
  configured_stage_.reset();
  if (last_checkpoint_step_ >= 0) resume_step_ = last_checkpoint_step_;
  resume_or_start();
  continue_after_rollback(spent, schedules_[spent.stage_index].sequences_per_step, state().counters);
  if (is_root()) telemetry_->keep_until(state().counters.global_step);
  log_spike(spent.global_step + 1,
            resume_step_ ? std::optional(checkpoint_dir(paths_.checkpoints, *resume_step_)) : std::nullopt);
}

void Trainer::log_step(double loss, double lr, double grad_norm) {
  const std::optional<double> mask = state().ramp ? std::optional(state().ramp->mask_value()) : std::nullopt;
  planner::TelemetryRecord r = meter_->step_record(record(""), loss, lr, grad_norm, mask);
  if (memory_->measures()) {
    r.peak_memory_bytes = memory_->take_peak_bytes();
    // The first step's window still holds what the stage's start left (the
    // full model until the step releases it): not the steady state.
    if (state().counters.step_in_stage > 1) steady_peak_bytes_ = std::max(steady_peak_bytes_, *r.peak_memory_bytes);
  }
  log(std::move(r));
  progress(meter_->progress_line(state().counters, loss, lr, mask));
}

void Trainer::finish_stage() {
  RunCounters& c = state().counters;
  evaluate_and_log(/*stage_end=*/true);
  c.stages[c.stage_index].done = true;
  accounting_->account(*comm_, c);
  progress(stage_done_line(c.stages[c.stage_index]));
  c.stage_index += 1;
  c.step_in_stage = 0;
  write_summary(c.stage_index == plan_.stages.size());
}

void Trainer::evaluate_and_log(bool stage_end) {
  const GrowthMasks masks = growth_masks();
  const double val = runtime_->evaluate(state(), state().ramp ? &masks : nullptr, eval_spec());
  RunCounters& c = state().counters;
  c.stages[std::min(c.stage_index, c.stages.size() - 1)].final_val_loss = val;
  planner::TelemetryRecord r = record("eval");
  r.val_loss = val;
  if (stage_end && memory_->measures()) r.rank_steady_memory_bytes = per_rank(static_cast<double>(steady_peak_bytes_));
  log(std::move(r));
}

// Every rank saves what its runtime says it holds; rank 0 publishes.
void Trainer::checkpoint() {
  const RunCounters& c = state().counters;
  if (last_checkpoint_step_ == c.global_step) return;
  accounting_->account(*comm_, state().counters);
  const CheckpointShare share = runtime_->checkpoint_share(state(), is_root());
  const std::string dir =
      write_checkpoint(*comm_, paths_.checkpoints, c.global_step, share.root_data, share.rank_shards,
                       share.rank_tensors, static_cast<int>(plan_.training.keep_checkpoints));
  last_checkpoint_step_ = c.global_step;
  planner::TelemetryRecord r = record("checkpoint");
  r.path = dir;
  log(std::move(r));
}

void Trainer::write_summary(bool complete) {
  const bool zero1 = runtime_ && runtime_->full_model_moments().sharded();
  if (is_root()) write_run_summary(paths_.summary, description(), zero1, state().counters, complete);
}

TrainOutcome Trainer::stop(bool signalled) {
  const RunCounters& c = state().counters;
  checkpoint();
  write_summary(c.stage_index == plan_.stages.size());
  progress(fmt::format("stopped after step {} ({}); resume with --resume", c.global_step,
                       signalled ? "signal" : "--stop-after-steps"));
  // Every rank leaves only when rank 0's files are written: a launcher that
  // ends the step at the first exit (`srun --kill-on-bad-exit=1`) cannot cut
  // a checkpoint short.
  comm_->barrier();
  return {c.global_step, total_steps(schedules_), c.stage_index == plan_.stages.size(), signalled};
}

void Trainer::check_replicas(const std::string& when, bool model_too) {
  if (runtime_ && model_too) runtime_->assemble_full_model(state());
  // A rank's part (shard-local resume): its runtime assembles the model; the counters must agree already.
  const std::vector<torch::Tensor> none;
  const bool counters_only = !model_too || state().model_is_rank_part;
  check_replicas_agree(*comm_, replica_counters(state()), counters_only ? none : state().model.parameters(), when);
}

}  // namespace

TrainOutcome train(const TrainOptions& options) {
  Rendezvous r = options.rendezvous ? *options.rendezvous : rendezvous_from_process_environment();
  return Trainer(options, std::move(r)).run();
}

}  // namespace sprout::backend
