// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop, top to bottom: load and check the plan, meet the other
// ranks, find the data, start or resume, then for every stage: grow at its
// start, train its steps, evaluate, checkpoint, log. Every rank runs this
// loop in lockstep; rank 0 alone writes the run directory (the optimizer
// shards of ZeRO-1 aside). docs/backend.md describes the files it writes.
#include "sprout/backend/trainer.h"

#include <fmt/format.h>
#include <sched.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "run/energy_meter.h"
#include "comm/rank_agreement.h"
#include "run/run_dir.h"
#include "run/run_state.h"
#include "data/batch_sampler.h"
#include "comm/communicator.h"
#include "data/corpus.h"
#include "model/lr_schedule.h"
#include "comm/make_communicator.h"
#include "parallel/model_partition.h"
#include "parallel/optimizer_sharding.h"
#include "parallel/process_groups.h"
#include "run/stage_schedule.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/plan/trainer_limits.h"
#include "run/stop_signal.h"
#include "run/telemetry.h"
#include "step/parallel_step.h"
#include "step/training_step.h"
#include "run/stopwatch.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

// Pipeline ops (p v m) up to which a telemetry record lists every op's time:
// a few KB per record; larger pipelines log the per-stage means only.
constexpr size_t kMaxLoggedOps = 1024;

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

// Cores this process may run on (Slurm and containers restrict the set).
int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The plan's fingerprint without its layouts and GPU count: a checkpoint
// names full tensors (or their slices by the full names), so it resumes
// under any layout and process count of the same plan (docs/backend.md
// "Tensor and pipeline parallelism").
std::string layout_independent_fingerprint(planner::Plan plan) {
  plan.cluster.gpus = 1;
  for (auto& st : plan.stages) st.parallel.reset();
  return plan_fingerprint_of_yaml(planner::plan_to_yaml(plan));
}

class Trainer {
 public:
  Trainer(const TrainOptions& o, Rendezvous r) : options_(o), rendezvous_(std::move(r)) {}
  TrainOutcome run();

 private:
  void load_plan();
  void check_inputs(const DataSource& data);
  void prepare_run_dir(const DataSource& data);
  void read_data(const DataSource& data);
  void resume_or_start();
  RunState fresh_state() const;
  bool zero1_for_stage(size_t stage) const;
  void configure_stage(const OptimizerSharding& current);
  void configure_model_parallel(const StageLayout& layout, const OptimizerSharding& current);
  void sync_full_model();
  StepResult model_parallel_step(const StepSpec& spec, const GrowthMasks* masks);
  void check_replicas(const std::string& when);
  void grow_to_stage();
  void train_one_step();
  void finish_stage();
  void evaluate_and_log(const char* event);
  void checkpoint();
  void log_step(double loss, double lr, double grad_norm);
  void write_summary(bool complete);
  void account_time();
  void progress(const std::string& line) const {
    if (options_.progress && is_root()) std::cerr << "sprout-train: " << line << "\n";
  }
  bool is_root() const { return rendezvous_.rank == 0; }
  int ranks() const { return rendezvous_.world_size; }
  const planner::Stage& stage() const { return plan_.stages[state().counters.stage_index]; }
  const StageSchedule& schedule() const { return schedules_[state().counters.stage_index]; }
  RunState& state() { return *state_; }
  const RunState& state() const { return *state_; }
  nlohmann::json base_record() const;
  EvalSpec eval_spec() const;

  TrainOptions options_;
  Rendezvous rendezvous_;
  planner::Plan plan_;
  std::vector<StageSchedule> schedules_;
  RunDirPaths paths_;
  std::string fingerprint_;
  torch::Device device_ = torch::kCPU;
  bool bf16_ = false;
  int threads_ = 1;
  TokenShard train_shard_, val_shard_;
  double unigram_entropy_ = 0;
  std::unique_ptr<Communicator> comm_;
  std::optional<RunState> state_;
  std::optional<long long> resume_step_;  // rank 0's choice, then every rank's
  std::optional<RunState> resume_state_;  // rank 0: read (and checked) while checking the input
  std::unique_ptr<EnergyMeter> energy_;
  std::unique_ptr<TelemetryLog> telemetry_;  // rank 0 only
  AdamWSettings adamw_;
  OptimizerSharding sharding_;
  GradientBuckets buckets_;
  std::optional<size_t> configured_stage_;  // the stage sharding_ and buckets_ are for
  // Tensor/pipeline-parallel stages: this rank's place and part of the
  // model, and the process groups of every layout met so far (each built
  // once: their names must not repeat). While the parts train, state().model
  // keeps only the full shape and specs (full_stale_); sync_full_model
  // assembles the full tensors where they are needed (growth, a layout
  // change, the replica check) until the next step releases them again.
  std::optional<RankShare> share_;
  std::optional<ModelPart> part_;
  bool full_stale_ = false;
  std::map<std::string, ProcessGroups> groups_;
  // Pipeline telemetry since the last log line (summed over steps).
  double log_bubble_ = 0;
  double pipeline_p2p_s_ = 0;  // measured at the stage's start (measure_pipeline_p2p_seconds)
  PipelineOpTimes log_ops_;  // summed over the steps since the last record
  long long total_steps_ = 0;
  long long last_checkpoint_step_ = -1;
  double energy_base_j_ = 0;  // counters.energy_j when this process started
  double energy_mark_j_ = 0;  // all ranks' meters at the last accounting
  Clock::time_point time_mark_;
  // Since the last log line: steps' own seconds, tokens, and where the time went.
  double log_seconds_ = 0;
  double log_tokens_ = 0;
  double log_steps_ = 0;
  double log_compute_s_ = 0, log_wait_s_ = 0, log_reduce_s_ = 0, log_optimizer_s_ = 0;
  double flops_per_second_ = 0;
};

// Every rank alike, before meeting the others: the plan and what it asks for.
void Trainer::load_plan() {
  plan_ = planner::load_plan(options_.plan_path);
  if (auto problem = planner::trainer_cannot_run(plan_)) {
    throw planner::InputError({plan_.source_file, 0, 0}, "parallel", *problem);
  }
  schedules_ = schedule_stages(plan_, ranks());
  for (const auto& s : schedules_) total_steps_ += s.steps;
  paths_ = run_dir_paths(options_.run_dir);
  fingerprint_ = layout_independent_fingerprint(plan_);
  const planner::TrainingSettings& t = plan_.training;

  const std::string dtype = options_.dtype.empty() ? t.dtype : options_.dtype;
  if (dtype != "fp32" && dtype != "bf16") throw planner::InputError({"--dtype", 0, 0}, "dtype", "fp32 or bf16");
  bf16_ = dtype == "bf16";
  const std::string dev = options_.device.empty() ? t.device : options_.device;
  if (dev == "cuda" && !torch::cuda::is_available()) {
    throw planner::InputError({"--device", 0, 0}, "device", "cuda requested but no CUDA device/libtorch is available");
  }
  // One GPU per local rank (cuda:local_rank): more ranks on this node than
  // GPUs cannot run on CUDA (NCCL refuses two ranks on one GPU).
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  const bool enough_gpus = rendezvous_.local_world_size <= gpus;
  if (dev == "cuda" && !enough_gpus) {
    throw planner::InputError({"--device", 0, 0}, "device",
                              fmt::format("cuda: {} ranks on this node need {} GPUs, it has {}",
                                          rendezvous_.local_world_size, rendezvous_.local_world_size, gpus));
  }
  // auto: CUDA when every local rank gets a GPU of its own, else the CPU.
  const bool cuda = dev == "cuda" || (dev == "auto" && torch::cuda::is_available() && enough_gpus);
  device_ = cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(rendezvous_.local_rank))
                 : torch::Device(torch::kCPU);
  if (ranks() > 1 && !collectives_available(device_)) {
    throw planner::InputError({"--device", 0, 0}, "device",
                              device_.str() + ": this build has no collectives for it (NCCL needs SPROUT_CUDA); "
                              "use --device cpu");
  }
  // LibTorch defaults to one intra-op thread on this machine: use this
  // node's cores, shared by the ranks on it.
  threads_ = options_.threads > 0 ? options_.threads
             : t.threads > 0      ? static_cast<int>(t.threads)
                                  : std::max(1, usable_cores() / std::max(1, rendezvous_.local_world_size));
  torch::set_num_threads(threads_);
  adamw_ = {t.beta1, t.beta2, 1e-8, t.weight_decay};
}

// Everything that can be wrong with the input, checked before anything in
// the run directory is written. No collectives: run_on_every_rank wraps it.
void Trainer::check_inputs(const DataSource& data) {
  if (!options_.resume) check_fresh_run_dir(paths_);
  if (options_.resume && is_root()) {
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
      resume_step_ = found.newest->step;
      // Assembled here (slices of a sharded checkpoint included), so a
      // checkpoint that cannot be is bad input before anything starts.
      try {
        resume_state_.emplace(from_checkpoint(found.newest->data));
      } catch (const std::exception& e) {
        throw planner::InputError({found.newest->path, 0, 0}, "checkpoint", e.what());
      }
    } else {
      progress("--resume: no checkpoint yet, starting from the beginning");
    }
  }
  if (data.text_to_prepare.empty() && data.shard_dir != paths_.data) {
    // Validate given shards before touching RUN_DIR.
    train_shard_ = read_token_shard((fs::path(data.shard_dir) / kTrainShardName).string());
    val_shard_ = read_token_shard((fs::path(data.shard_dir) / kValidationShardName).string());
  }
}

// Rank 0: the run directory, the plan copy and prepared data.
void Trainer::prepare_run_dir(const DataSource& data) {
  if (!is_root()) return;
  fs::create_directories(paths_.root);
  if (!resume_step_ && !fs::exists(paths_.plan)) {
    planner::write_file_atomically(paths_.plan, planner::read_file(options_.plan_path));
  }
  if (!data.text_to_prepare.empty()) {
    PrepareOptions po;
    po.inputs = data.text_to_prepare;
    po.out_dir = paths_.data;
    progress(fmt::format("preparing {} text file(s) into {}", po.inputs.size(), po.out_dir));
    prepare_corpus(po);
  }
}

void Trainer::read_data(const DataSource& data) {
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
}

RunState Trainer::fresh_state() const {
  const planner::Stage& first = plan_.stages.front();
  at::Generator init = make_cpu_generator(static_cast<uint64_t>(plan_.training.seed));
  GptModel model = make_gpt({first.shape, first.init_std, first.dropout}, init, device_);
  AdamWState opt = make_adamw_state(model.parameters());
  RunCounters c;
  c.plan_fingerprint = fingerprint_;
  for (const auto& st : plan_.stages) c.stages.push_back(StageRecord{st.name});
  return {c, std::move(model), std::move(opt), std::nullopt};
}

// All ranks load the checkpoint rank 0 chose (a shared run directory), or
// build the same fresh model from the plan's seed.
void Trainer::resume_or_start() {
  std::vector<double> chosen = {is_root() && resume_step_ ? static_cast<double>(*resume_step_ + 1) : 0.0};
  chosen = sum_over_ranks(*comm_, chosen);
  if (chosen[0] > 0) resume_step_ = static_cast<long long>(chosen[0]) - 1;
  run_on_every_rank(*comm_, [&] {
    if (!resume_step_) {
      state_.emplace(fresh_state());
      return;
    }
    const std::string dir = (fs::path(paths_.checkpoints) / fmt::format("step-{:09d}", *resume_step_)).string();
    progress("resuming from " + dir);
    if (resume_state_) {
      state_.emplace(std::move(*resume_state_));
      resume_state_.reset();
    } else {
      state_.emplace(from_checkpoint(load_checkpoint(dir).data));
    }
    std::vector<torch::Tensor> moved;
    for (auto& p : state().model.parameters()) moved.push_back(p.detach().to(device_).set_requires_grad(true));
    state().model = GptModel(state().model.settings(), state().model.specs(), std::move(moved));
    for (auto& m : state().optimizer.moments) {
      m.exp_avg = m.exp_avg.to(device_);
      m.exp_avg_sq = m.exp_avg_sq.to(device_);
    }
    if (is_root()) TelemetryLog::truncate_after(paths_.telemetry, state().counters.global_step);
    last_checkpoint_step_ = state().counters.global_step;
  });
  // Loaded or fresh, every rank holds every moment so far.
  sharding_ = replicated_sharding(state().model.size());
  check_replicas(resume_step_ ? "after resume" : "at start");
}

bool Trainer::zero1_for_stage(size_t i) const {
  if (ranks() == 1 || options_.zero1 == "off") return false;
  if (options_.zero1 == "on") return true;
  const auto& p = plan_.stages[i].parallel;
  return p ? p->distributed_optimizer : true;  // the planner's default: on when dp > 1
}

// The current stage's optimizer sharding and gradient buckets, moving the
// moments from `current` where owners change.
void Trainer::configure_stage(const OptimizerSharding& current) {
  sync_full_model();
  part_.reset();
  share_.reset();
  const size_t si = state().counters.stage_index;
  if (const StageLayout layout = layout_for_stage(stage(), ranks()); layout.tp > 1 || layout.pp > 1) {
    configure_model_parallel(layout, current);
    return;
  }
  auto& params = state().model.parameters();
  const OptimizerSharding want =
      zero1_for_stage(si) ? balanced_sharding(params, ranks()) : replicated_sharding(params.size());
  reshard_moments(*comm_, state().optimizer, params, current, want);
  sharding_ = want;
  buckets_ = make_gradient_buckets(params, options_.bucket_bytes);
  if (ranks() > 1) attach_gradient_buffers(params, buckets_);
  configured_stage_ = si;
  if (ranks() > 1) {
    progress(fmt::format("stage '{}': {} ranks ({}), {} gradient bucket(s), ZeRO-1 {}: this rank holds {} of {} "
                         "Adam moment elements",
                         stage().name, ranks(), comm_->backend_name(), buckets_.parameters.size(),
                         sharding_.sharded() ? "on" : "off", moment_elements_held(state().optimizer),
                         2 * state().model.parameter_count()));
  }
}

// A tensor/pipeline-parallel stage: every rank gathers every moment of the
// full model and cuts its part; with ZeRO-1 the ranks of each DP group then
// split the part's moments among themselves.
void Trainer::configure_model_parallel(const StageLayout& layout, const OptimizerSharding& current) {
  auto& params = state().model.parameters();
  const OptimizerSharding replicated = replicated_sharding(params.size());
  reshard_moments(*comm_, state().optimizer, params, current, replicated);
  sharding_ = replicated;
  share_.emplace(layout, rendezvous_.rank);
  if (!groups_.count(layout.group_key())) groups_.emplace(layout.group_key(), make_process_groups(*comm_, layout));
  part_.emplace(partition_model(state().model, state().optimizer, *share_));
  full_stale_ = false;  // until the first step: the full model is still current
  auto& local = part_->model.parameters();
  ProcessGroups& groups = groups_.at(layout.group_key());
  if (layout.dp > 1 && zero1_for_stage(state().counters.stage_index)) {
    const OptimizerSharding zero1 = balanced_sharding(local, layout.dp);
    reshard_moments(*groups.data, part_->optimizer, local, part_->sharding, zero1);
    part_->sharding = zero1;
  }
  buckets_ = make_gradient_buckets(local, options_.bucket_bytes);
  if (layout.dp > 1) attach_gradient_buffers(local, buckets_);
  configured_stage_ = state().counters.stage_index;
  const size_t pipeline_ops = static_cast<size_t>(layout.virtual_stages() * schedule().accumulation);
  pipeline_p2p_s_ = measure_pipeline_p2p_seconds(*share_, groups, schedule().micro_batch, stage().shape.seq_len,
                                                 stage().shape.hidden, device_);
  log_ops_.assign_zeros(pipeline_ops);
  progress(fmt::format("stage '{}': layout {} on {} ranks ({}); this rank holds {} of {} parameters, ZeRO-1 {}: {} "
                       "Adam moment elements",
                       stage().name, layout.describe(), ranks(), comm_->backend_name(), part_->model.parameter_count(),
                       state().model.parameter_count(), part_->sharding.sharded() ? "on" : "off",
                       moment_elements_held(part_->optimizer)));
}

// The full model and moments from every rank's part (collective).
void Trainer::sync_full_model() {
  if (!part_ || !full_stale_) return;
  assemble_full_model(*comm_, *part_, *share_, state().model, state().optimizer);
  full_stale_ = false;
}

StepResult Trainer::model_parallel_step(const StepSpec& spec, const GrowthMasks* masks) {
  // The part is what trains (and what checkpoints and evaluation read): no
  // full copy stays on this rank until the next assembly.
  if (!full_stale_) state().model = released_full_model(state().model, state().optimizer);
  ProcessGroups& groups = groups_.at(share_->layout().group_key());
  StepSpec part_spec = spec;
  part_spec.sharding = &part_->sharding;
  const ParallelStepResult r = parallel_train_step(*part_, adamw_, masks, part_spec, *share_, groups);
  full_stale_ = true;
  log_bubble_ += r.bubble_fraction;
  log_ops_.add(r.ops);
  return r.step;
}

void Trainer::check_replicas(const std::string& when) {
  sync_full_model();
  const RunCounters& c = state().counters;
  check_replicas_agree(*comm_,
                       {static_cast<double>(c.global_step), static_cast<double>(c.stage_index),
                        static_cast<double>(c.step_in_stage), static_cast<double>(c.sequences_consumed),
                        static_cast<double>(state().optimizer.step)},
                       state().model, when);
}

nlohmann::json Trainer::base_record() const {
  const RunCounters& c = state().counters;
  const size_t si = std::min(c.stage_index, plan_.stages.size() - 1);
  return {{"step", c.global_step},
          {"stage", plan_.stages[si].name},
          {"stage_index", si},
          {"rank_count", ranks()},
          {"tokens", c.tokens},
          {"model_flops", c.model_flops},
          {"energy_j", c.energy_j},
          {"energy_source", energy_->source()}};
}

EvalSpec Trainer::eval_spec() const {
  const size_t si = std::min(state().counters.stage_index, plan_.stages.size() - 1);
  // The validation set depends on the plan only, not on ranks or micro-batch.
  const int64_t per_batch = std::min(kDefaultMaxMicroBatch, schedules_[si].sequences_per_step);
  return {&val_shard_,
          plan_.stages[si].shape.seq_len,
          plan_.training.eval_batches * per_batch,
          schedules_[si].micro_batch,
          bf16_,
          device_};
}

// Wall time (rank 0's clock) and energy (every rank's meter) since the last
// mark go to the current stage. A meter that reads the whole node (RAPL)
// counts on the node's first rank only.
void Trainer::account_time() {
  RunCounters& c = state().counters;
  const bool counts = rendezvous_.local_rank == 0 || !energy_->measures_whole_node();
  const double joules = sum_over_ranks(*comm_, {counts ? energy_->joules() : 0.0})[0];
  const size_t si = std::min(c.stage_index, c.stages.size() - 1);
  c.stages[si].wall_seconds += seconds_since(time_mark_);
  c.stages[si].energy_j += joules - energy_mark_j_;
  c.energy_j = energy_base_j_ + joules;
  energy_mark_j_ = joules;
  time_mark_ = Clock::now();
}

void Trainer::evaluate_and_log(const char* event) {
  const GrowthMasks masks = state().ramp ? make_growth_masks(*state().ramp, device_) : GrowthMasks{};
  const GrowthMasks* m = state().ramp ? &masks : nullptr;
  const double val = part_ ? parallel_evaluate(*part_, m, eval_spec(), *share_, groups_.at(share_->layout().group_key()))
                           : evaluate(state().model, m, eval_spec(), *comm_);
  RunCounters& c = state().counters;
  c.stages[std::min(c.stage_index, c.stages.size() - 1)].final_val_loss = val;
  if (!is_root()) return;
  nlohmann::json r = base_record();
  r["event"] = event;
  r["val_loss"] = val;
  telemetry_->append(r);
}

void Trainer::grow_to_stage() {
  sync_full_model();
  RunState& st = state();
  const size_t si = st.counters.stage_index;
  const planner::Stage& to = stage();
  const GptModel old = st.model;
  const double val_before = evaluate(old, nullptr, eval_spec(), *comm_);
  // New weights come from a generator seeded by the plan's seed and the
  // stage, so every rank, and a resumed run, grows exactly alike.
  at::Generator gen = make_cpu_generator(splitmix64(static_cast<uint64_t>(plan_.training.seed) + 1000003ULL * si));
  GrownModel grown = grow_gpt(old, {to.shape, to.init_std, to.dropout}, schedule().grow_steps, gen);
  st.optimizer = grow_adamw_state(st.optimizer, old, grown);
  // Grown moments stay with the rank that held the old ones; new ones are
  // zeros everywhere.
  OptimizerSharding grown_sharding;
  for (const auto& src : grown.sources) grown_sharding.owner.push_back(src ? sharding_.owner[*src] : kReplicated);
  st.model = std::move(grown.model);
  st.ramp = grown.ramp.active() ? std::optional<GrowthRamp>(grown.ramp) : std::nullopt;
  configure_stage(grown_sharding);
  check_replicas("after growing to stage '" + to.name + "'");
  const GrowthMasks masks = st.ramp ? make_growth_masks(*st.ramp, device_) : GrowthMasks{};
  const double val_after = evaluate(st.model, st.ramp ? &masks : nullptr, eval_spec(), *comm_);

  if (!is_root()) return;
  nlohmann::json r = base_record();
  r["event"] = "grow";
  r["from"] = shape_to_json(old.shape());
  r["to"] = shape_to_json(to.shape);
  r["grow_steps"] = schedule().grow_steps;
  r["val_loss_before"] = val_before;
  r["val_loss_after"] = val_after;
  r["train_loss_before"] = st.counters.last_train_loss;
  telemetry_->append(r);
  const auto& a = old.shape();
  progress(fmt::format(
      "grew to stage '{}': layers {}->{} hidden {}->{} heads {}->{} ffn {}->{}; "
      "val loss {:.4f} -> {:.4f} at mask 0 ({:+.3f}%)",
      to.name, a.layers, to.shape.layers, a.hidden, to.shape.hidden, a.heads, to.shape.heads, a.ffn_hidden,
      to.shape.ffn_hidden, val_before, val_after, 100.0 * (val_after - val_before) / val_before));
}

void Trainer::train_one_step() {
  RunState& st = state();
  RunCounters& c = st.counters;
  const planner::Stage& s = stage();
  const StageSchedule& sc = schedule();
  LrSchedule lr_schedule{s.lr, sc.steps, sc.warmup_steps, plan_.training.min_lr_fraction};
  const uint64_t seed = static_cast<uint64_t>(plan_.training.seed);
  StepSpec spec{&train_shard_,
                s.shape.seq_len,
                seed,
                splitmix64(seed ^ 0xd50d0u),
                c.sequences_consumed,
                sc.micro_batch,
                sc.accumulation,
                learning_rate(lr_schedule, c.step_in_stage),
                plan_.training.grad_clip,
                bf16_,
                device_,
                &buckets_,
                &sharding_,
                options_.bucket_bytes};
  const GrowthMasks masks = st.ramp ? make_growth_masks(*st.ramp, device_) : GrowthMasks{};
  const auto t0 = Clock::now();
  StepResult r = part_ ? model_parallel_step(spec, st.ramp ? &masks : nullptr)
                       : train_step(st.model, st.optimizer, adamw_, st.ramp ? &masks : nullptr, spec, *comm_);
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
  log_steps_ += 1;
  log_compute_s_ += r.compute_seconds;
  log_wait_s_ += r.wait_seconds;
  log_reduce_s_ += r.reduce_seconds;
  log_optimizer_s_ += r.optimizer_seconds;
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
  const double steps = std::max(1.0, log_steps_);
  nlohmann::json r = base_record();
  r["loss"] = loss;
  r["lr"] = lr;
  r["grad_norm"] = grad_norm;
  r["tokens_per_s"] = tokens_per_s;
  // Per rank, by the planner's FLOPs formula (model FLOPs: no recompute).
  r["tflops_per_gpu"] = planner::model_flops_per_token(s.shape) * tokens_per_s / ranks() / 1e12;
  // Rank 0's step time split, averaged over the steps since the last record.
  r["compute_s"] = log_compute_s_ / steps;
  r["wait_s"] = log_wait_s_ / steps;
  r["reduce_s"] = log_reduce_s_ / steps;
  r["optimizer_s"] = log_optimizer_s_ / steps;
  if (state().ramp) r["mask"] = state().ramp->mask_value();
  if (share_ && share_->layout().pp > 1) {
    // What simulator::check_pipeline_bubbles compares with the iteration
    // DAG: per virtual stage the mean op time, and (up to kMaxLoggedOps ops)
    // every op's time, for the DAG to replay the step as it ran.
    const size_t m = static_cast<size_t>(schedule().accumulation);
    const PipelineOpTimes mean = log_ops_.scaled(1.0 / steps);
    std::vector<double> fwd(mean.ops() / m, 0.0), bwd(fwd.size(), 0.0);
    for (size_t i = 0; i < mean.ops(); ++i) {
      fwd[i / m] += mean.forward_s[i] / static_cast<double>(m);
      bwd[i / m] += mean.backward_s[i] / static_cast<double>(m);
    }
    r["pipeline"] = {{"schedule", share_->layout().interleave > 1 ? "interleaved 1F1B" : "1F1B"},
                     {"stages", share_->layout().pp},
                     {"chunks", share_->layout().interleave},
                     {"micro_batches", schedule().accumulation},
                     {"forward_s", fwd},
                     {"backward_s", bwd},
                     {"p2p_s", pipeline_p2p_s_},
                     {"bubble_fraction", log_bubble_ / steps}};
    if (mean.ops() <= kMaxLoggedOps) {
      r["pipeline"]["forward_op_s"] = mean.forward_s;
      r["pipeline"]["backward_op_s"] = mean.backward_s;
      r["pipeline"]["forward_p2p_op_s"] = mean.forward_p2p_s;
      r["pipeline"]["backward_p2p_op_s"] = mean.backward_p2p_s;
    }
  }
  log_bubble_ = 0;
  log_ops_.assign_zeros(log_ops_.ops());
  log_seconds_ = log_tokens_ = log_steps_ = log_compute_s_ = log_wait_s_ = log_reduce_s_ = log_optimizer_s_ = 0;
  if (!is_root()) return;
  telemetry_->append(r);
  // ETA: the FLOPs left in the plan at the current FLOP rate.
  double flops_left = 0;
  for (size_t i = c.stage_index; i < plan_.stages.size(); ++i) {
    const long long steps_left = schedules_[i].steps - (i == c.stage_index ? c.step_in_stage : 0);
    flops_left += static_cast<double>(steps_left) * static_cast<double>(schedules_[i].sequences_per_step) *
                  plan_.stages[i].shape.seq_len * planner::model_flops_per_token(plan_.stages[i].shape);
  }
  progress(fmt::format("[{}/{} {}] step {}/{} (total {}/{}) loss {:.4f} lr {:.2e} {:.0f} tok/s{} ETA {}",
                       c.stage_index + 1, plan_.stages.size(), s.name, c.step_in_stage, schedule().steps,
                       c.global_step, total_steps_, loss, lr, tokens_per_s,
                       state().ramp ? fmt::format(" mask {:.2f}", state().ramp->mask_value()) : "",
                       format_duration(flops_left / std::max(1.0, flops_per_second_))));
}

void Trainer::finish_stage() {
  RunCounters& c = state().counters;
  evaluate_and_log("eval");
  c.stages[c.stage_index].done = true;
  account_time();
  const StageRecord& r = c.stages[c.stage_index];
  progress(fmt::format("stage '{}' done: {} steps, {:.0f} tokens, {:.1f} s, train loss {:.4f}, val loss {:.4f}",
                       r.name, r.steps, r.tokens, r.wall_seconds, r.final_train_loss, r.final_val_loss));
  c.stage_index += 1;
  c.step_in_stage = 0;
  write_summary(c.stage_index == plan_.stages.size());
}

void Trainer::write_summary(bool complete) {
  if (!is_root()) return;
  const RunCounters& c = state().counters;
  nlohmann::json j;
  j["plan"] = plan_.name;
  j["complete"] = complete;
  j["rank_count"] = ranks();
  j["device"] = device_.str();
  j["threads"] = threads_;
  j["dtype"] = bf16_ ? "bf16" : "fp32";
  j["energy_source"] = energy_->source();
  j["distributed"] = {{"backend", comm_->backend_name()},
                      {"rendezvous", rendezvous_.style},
                      {"zero1", sharding_.sharded()},
                      {"bucket_bytes", options_.bucket_bytes}};
  j["unigram_entropy_nats"] = unigram_entropy_;
  j["steps"] = c.global_step;
  j["stages"] = nlohmann::json::array();
  StageRecord total{"total"};
  for (const auto& r : c.stages) {
    j["stages"].push_back(stage_record_json(r, ranks()));
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
  j["total"] = stage_record_json(total, ranks());
  planner::write_file_atomically(paths_.summary, j.dump(2) + "\n");
}

void Trainer::checkpoint() {
  const RunCounters& c = state().counters;
  if (last_checkpoint_step_ == c.global_step) return;
  account_time();
  std::string dir;
  const int keep = static_cast<int>(plan_.training.keep_checkpoints);
  if (part_) {
    // Tensor/pipeline parallel: every rank saves the slices it counts
    // (checkpoint_shard); rank 0 the counters and the index of the slices.
    CheckpointData data;
    if (is_root()) {
      state().optimizer.step = part_->optimizer.step;
      nlohmann::json j = checkpoint_state_json(state());
      j["shards"] = {{"layout", share_->layout().describe()},
                     {"tensors", checkpoint_shard_index(state().model, share_->layout())}};
      data.state_json = j.dump(2) + "\n";
    }
    dir = write_checkpoint(*comm_, paths_.checkpoints, c.global_step, data, true, checkpoint_shard(*part_, *share_),
                           keep);
  } else {
    // ZeRO-1: every rank saves the moments it holds; rank 0 the rest.
    const bool shards = sharding_.sharded();
    const CheckpointData data = is_root() ? to_checkpoint(state(), !shards) : CheckpointData{};
    dir = write_checkpoint(*comm_, paths_.checkpoints, c.global_step, data, shards,
                           shards ? optimizer_shard(state()) : NamedTensors{}, keep);
  }
  last_checkpoint_step_ = c.global_step;
  if (!is_root()) return;
  nlohmann::json r = base_record();
  r["event"] = "checkpoint";
  r["path"] = dir;
  telemetry_->append(r);
}

TrainOutcome Trainer::run() {
  // First, so a preemption signal during start-up is a stop request, not death.
  install_stop_signal_handlers();
  load_plan();
  const std::chrono::seconds timeout(plan_.training.collective_timeout_s);
  comm_ = make_communicator(rendezvous_, device_, timeout, timeout);
  DataSource data;
  run_on_every_rank(*comm_, [&] {
    data = resolve_data(options_.data.empty() ? plan_.training.data : options_.data, plan_, paths_);
    check_inputs(data);
  });
  run_on_every_rank(*comm_, [&] { prepare_run_dir(data); });
  run_on_every_rank(*comm_, [&] { read_data(data); });
  energy_ = make_energy_meter(device_.is_cuda(), device_.is_cuda() ? device_.index() : 0,
                              planner::gpu_power_w(plan_.cluster.hardware, plan_.cluster.power_model));
  resume_or_start();
  if (is_root()) telemetry_ = std::make_unique<TelemetryLog>(paths_.telemetry);
  energy_base_j_ = state().counters.energy_j;
  time_mark_ = Clock::now();
  if (resume_step_ && is_root()) {
    nlohmann::json r = base_record();
    r["event"] = "resume";
    telemetry_->append(r);
  }
  progress(fmt::format("plan '{}': {} stage(s), {} steps; {} rank(s) ({}), {} on {} thread(s) each, {}; "
                       "{} train / {} val tokens (unigram entropy {:.4f} nats)",
                       plan_.name, plan_.stages.size(), total_steps_, ranks(), rendezvous_.style, device_.str(),
                       threads_, bf16_ ? "bf16 autocast" : "fp32", train_shard_.size(), val_shard_.size(),
                       unigram_entropy_));

  TrainOutcome out;
  out.total_steps = total_steps_;
  const auto& t = plan_.training;
  while (state().counters.stage_index < plan_.stages.size()) {
    RunCounters& c = state().counters;
    if (!same_shape(state().model.shape(), stage().shape)) {
      grow_to_stage();
    } else if (configured_stage_ != c.stage_index) {
      configure_stage(sharding_);
    }
    train_one_step();
    if (c.step_in_stage >= schedule().steps) {
      finish_stage();
    } else if (c.global_step % t.eval_every_steps == 0) {
      evaluate_and_log("eval");
    }
    if (c.global_step % t.checkpoint_every_steps == 0) checkpoint();
    // A signal on any rank stops every rank after the same step.
    const bool signalled = any_rank(*comm_, stop_requested());
    if (signalled || (options_.stop_after_steps > 0 && c.global_step >= options_.stop_after_steps)) {
      checkpoint();
      write_summary(c.stage_index == plan_.stages.size());
      progress(fmt::format("stopped after step {} ({}); resume with --resume", c.global_step,
                           signalled ? "signal" : "--stop-after-steps"));
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

TrainOutcome train(const TrainOptions& options) {
  Rendezvous r = options.rendezvous ? *options.rendezvous : rendezvous_from_process_environment();
  return Trainer(options, std::move(r)).run();
}

}  // namespace sprout::backend
