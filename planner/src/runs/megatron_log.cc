// SPDX-License-Identifier: GPL-3.0-or-later
// The formats read here are Megatron-LM's print statements at the commit in
// megatron_export.h: training_log's iteration line, evaluate_and_print_results'
// validation line and _print_args' argument dump (docs/compare.md quotes them).
#include "sprout/planner/runs/megatron_log.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/base/utc_time.h"
#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/cost/estimate.h"

namespace sprout::planner {
namespace {

// One `iteration N/M | key: value | ...` line.
struct IterationLine {
  int line = 0;
  long long iteration = 0;
  long long consumed_samples = 0;
  double elapsed_ms = 0;
  long long global_batch = 0;
  std::optional<double> tflops_per_gpu, lr, loss, energy_j_per_gpu;
  std::string timestamp;  // "2024-01-01 00:00:00.000000" (the trainer's local time); "" in older versions
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// `key: value` fields between '|'.
std::map<std::string, std::string> fields_of(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, '|')) {
    const size_t colon = part.rfind(':');
    if (colon == std::string::npos) continue;
    out[trim(part.substr(0, colon))] = trim(part.substr(colon + 1));
  }
  return out;
}

double to_number(const std::string& text, const SourceLocation& where, const std::string& key) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
    throw InputError(where, "megatron log." + key, "'" + text + "' is not a number");
  }
  return v;
}

// A count (iteration, samples, batch, ranks) as an integer: a number beyond
// `max` is refused, as the cast of one beyond long long's range is undefined
// (found by fuzzing: "consumed samples: 4.4e117").
long long count_of(double v, const SourceLocation& where, const std::string& key, double max = 0x1p53) {
  if (std::fabs(v) > max) throw InputError(where, "megatron log." + key, fmt::format("{} is too large for a count", v));
  return static_cast<long long>(v);
}

std::optional<double> optional_number(const std::map<std::string, std::string>& f, const std::string& key,
                                      const SourceLocation& where) {
  const auto it = f.find(key);
  if (it == f.end()) return std::nullopt;
  return to_number(it->second, where, key);
}

double required_number(const std::map<std::string, std::string>& f, const std::string& key,
                       const SourceLocation& where) {
  const auto v = optional_number(f, key, where);
  if (!v) throw InputError(where, "megatron log." + key, "missing from the iteration line");
  return *v;
}

// training_log: ` [%Y-%m-%d %H:%M:%S.%f] iteration {:8d}/{:8d} | consumed samples: {:12d} | ...`
std::optional<IterationLine> parse_iteration(const std::string& text, const SourceLocation& where) {
  size_t at = text.find("iteration ");
  while (at != std::string::npos) {
    const size_t digits = text.find_first_not_of(' ', at + 10);
    const size_t slash = digits == std::string::npos ? digits : text.find('/', digits);
    const size_t bar = text.find('|', at);
    if (slash != std::string::npos && bar != std::string::npos && slash < bar &&
        text.find_first_not_of("0123456789", digits) == slash) {
      IterationLine l;
      l.line = where.line;
      l.iteration = count_of(to_number(text.substr(digits, slash - digits), where, "iteration"), where, "iteration");
      const std::map<std::string, std::string> f = fields_of(text.substr(bar));
      l.consumed_samples = count_of(required_number(f, "consumed samples", where), where, "consumed samples");
      l.elapsed_ms = required_number(f, "elapsed time per iteration (ms)", where);
      l.global_batch = count_of(required_number(f, "global batch size", where), where, "global batch size");
      l.tflops_per_gpu = optional_number(f, "throughput per GPU (TFLOP/s/GPU)", where);
      l.lr = optional_number(f, "learning rate", where);
      l.loss = optional_number(f, "lm loss", where);
      l.energy_j_per_gpu = optional_number(f, "energy per GPU (J/iter/GPU)", where);
      const size_t open = text.rfind('[', at), close = text.rfind(']', at);
      if (open != std::string::npos && close != std::string::npos && open < close) {
        l.timestamp = text.substr(open + 1, close - open - 1);
      }
      if (l.elapsed_ms <= 0 || l.global_batch <= 0) {
        throw InputError(where, "megatron log", "an iteration line needs a positive time and global batch size");
      }
      return l;
    }
    at = text.find("iteration ", at + 1);
  }
  return std::nullopt;
}

// evaluate_and_print_results: ` validation loss at iteration N | lm loss value: {:.6E} | ...`
std::optional<double> parse_validation(const std::string& text, const SourceLocation& where) {
  if (text.find("validation loss at iteration") == std::string::npos) return std::nullopt;
  return optional_number(fields_of(text), "lm loss value", where);
}

// The plan stage an argument dump describes, from `stage` on.
std::optional<size_t> stage_of_shape(const Plan& plan, size_t from, const std::map<std::string, std::string>& args) {
  auto value = [&](const char* key) { return args.count(key) ? args.at(key) : std::string(); };
  for (size_t k = from; k < plan.stages.size(); ++k) {
    const ModelShape& s = plan.stages[k].shape;
    if (value("num_layers") == std::to_string(s.layers) && value("hidden_size") == std::to_string(s.hidden) &&
        value("num_attention_heads") == std::to_string(s.heads) && value("seq_length") == std::to_string(s.seq_len)) {
      return k;
    }
  }
  return std::nullopt;
}

class LogReader {
 public:
  LogReader(const Plan& plan, const PlanEstimate& estimate) : plan_(plan), estimate_(estimate) {}

  void read(const std::string& path);
  RunRecord finish(const std::vector<std::string>& files);

 private:
  void arguments_read(const std::string& path, int line);
  void iteration(const IterationLine& l, const std::string& path);
  void validation(double loss);
  void next_stage(size_t stage, const SourceLocation& where);
  RunTelemetryRecord record() const;

  const Plan& plan_;
  const PlanEstimate& estimate_;
  std::map<std::string, std::string> args_;  // the last argument dump
  size_t stage_ = 0;
  bool stage_started_ = false;       // a line of stage_ was read
  std::optional<size_t> switch_to_;  // an argument dump named a later stage
  long long base_samples_ = 0;       // consumed samples at the stage's start
  long long last_samples_ = 0;
  double stage_start_tokens_ = 0, tokens_ = 0, seconds_ = 0, energy_j_ = 0, start_time_s_ = 0;
  double iterations_ = 0;
  bool all_energy_measured_ = true;
  std::vector<RunTelemetryRecord> records_;
};

void LogReader::read(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string text;
  int number = 0, iterations = 0;
  bool in_arguments = false;
  while (std::getline(in, text)) {
    ++number;
    const SourceLocation where{path, number, 0};
    if (text.find("------------------------ arguments ------------------------") != std::string::npos) {
      in_arguments = true;
      args_.clear();
    } else if (in_arguments && text.find("end of arguments") != std::string::npos) {
      in_arguments = false;
      arguments_read(path, number);
    } else if (in_arguments) {
      const size_t dots = text.find(" ..");
      if (dots != std::string::npos) {
        const size_t value = text.find_first_not_of('.', dots + 1);
        if (value != std::string::npos) args_[trim(text.substr(0, dots))] = trim(text.substr(value));
      }
    } else if (auto l = parse_iteration(text, where)) {
      iteration(*l, path);
      ++iterations;
    } else if (auto v = parse_validation(text, where)) {
      validation(*v);
    }
  }
  if (iterations == 0) {
    throw InputError({path, 0, 0}, "megatron log",
                     "no iteration lines (` iteration N/M | consumed samples: ... | elapsed time per iteration (ms): "
                     "...`, as Megatron-LM's training loop prints them)");
  }
}

void LogReader::arguments_read(const std::string& path, int line) {
  if (!args_.count("num_layers") || !args_.count("hidden_size")) return;
  const std::optional<size_t> k = stage_of_shape(plan_, stage_started_ ? stage_ : 0, args_);
  if (!k) {
    std::string stages;
    for (const auto& s : plan_.stages) {
      stages += fmt::format("{}'{}' {} x {}", stages.empty() ? "" : ", ", s.name, s.shape.layers, s.shape.hidden);
    }
    throw InputError({path, line, 0}, "num_layers",
                     fmt::format("the log is of another model than plan '{}': {} layers x {} hidden, {} heads, "
                                 "sequence {} (the plan's stages from here: {})",
                                 plan_.name, args_["num_layers"], args_["hidden_size"], args_["num_attention_heads"],
                                 args_["seq_length"], stages));
  }
  if (!stage_started_ || *k != stage_) switch_to_ = *k;
}

void LogReader::next_stage(size_t stage, const SourceLocation& where) {
  if (stage >= plan_.stages.size()) {
    throw InputError(
        where, "megatron log",
        fmt::format("consumed samples start again: a stage after the plan's last ('{}')", plan_.stages.back().name));
  }
  stage_ = stage;
  stage_start_tokens_ = tokens_;
  stage_started_ = false;
}

void LogReader::iteration(const IterationLine& l, const std::string& path) {
  const SourceLocation where{path, l.line, 0};
  if (switch_to_) {
    next_stage(*switch_to_, where);
    switch_to_.reset();
  } else if (stage_started_ && l.consumed_samples < last_samples_) {
    next_stage(stage_ + 1, where);  // a new job trained from zero samples: the next stage
  }
  if (!stage_started_) {
    // Counting on from the last stage's samples (loaded without --finetune), or from zero.
    base_samples_ = records_.empty() || l.consumed_samples < last_samples_ ? 0 : last_samples_;
    last_samples_ = base_samples_;
    stage_started_ = true;
    if (records_.empty() && !l.timestamp.empty()) {
      const ParsedTimestamp t = parse_utc_timestamp(l.timestamp.substr(0, 19));
      if (t.problem == TimestampProblem::kNone) start_time_s_ = static_cast<double>(t.seconds);
    }
  }
  const Stage& st = plan_.stages[stage_];
  const long long planned_batch = estimate_.stages[stage_].iteration.global_batch_sequences;
  if (l.global_batch != planned_batch) {
    throw InputError(where, "megatron log.global batch size",
                     fmt::format("{} sequences, but stage '{}' of plan '{}' trains {} per batch: the log is of "
                                 "another run than the plan",
                                 l.global_batch, st.name, plan_.name, planned_batch));
  }
  const double iterations = static_cast<double>(l.consumed_samples - last_samples_) / l.global_batch;
  const double seconds = iterations * l.elapsed_ms / 1000;
  // Past any real run, and past the range of the timestamps records carry
  // (whose cast from double would be undefined: found by fuzzing).
  constexpr double kLongestRunSeconds = 100 * 365.25 * kSecondsPerDay;
  if (!(seconds_ + seconds <= kLongestRunSeconds)) {
    throw InputError(where, "megatron log.elapsed time per iteration (ms)",
                     fmt::format("{:g} ms per iteration puts the run beyond 100 years of training", l.elapsed_ms));
  }
  const int ranks = args_.count("world_size")
                        ? static_cast<int>(count_of(to_number(args_.at("world_size"), where, "world_size"), where,
                                                    "world_size", 1 << 30))
                        : plan_.cluster.gpus;
  seconds_ += seconds;
  iterations_ += iterations;
  if (l.energy_j_per_gpu) {
    energy_j_ += *l.energy_j_per_gpu * iterations * ranks;
  } else {
    all_energy_measured_ = false;
    energy_j_ += gpu_power_w(plan_.cluster.hardware, plan_.cluster.power_model) * ranks * seconds;
  }
  last_samples_ = l.consumed_samples;
  tokens_ = stage_start_tokens_ + static_cast<double>(l.consumed_samples - base_samples_) * st.shape.seq_len;

  RunTelemetryRecord r = record();
  r.rank_count = ranks;
  r.line = l.line;
  r.loss = l.loss;
  r.lr = l.lr;
  r.tokens_per_s = static_cast<double>(l.global_batch) * st.shape.seq_len / (l.elapsed_ms / 1000);
  r.tflops_per_gpu = l.tflops_per_gpu;
  records_.push_back(std::move(r));
}

void LogReader::validation(double loss) {
  if (records_.empty()) return;  // before any training line: nothing to place it at
  RunTelemetryRecord r = record();
  r.event = "eval";
  r.val_loss = loss;
  r.rank_count = records_.back().rank_count;
  records_.push_back(std::move(r));
}

RunTelemetryRecord LogReader::record() const {
  RunTelemetryRecord r;
  r.time_s = (start_time_s_ > 0 ? start_time_s_ : 1.0) + seconds_;
  r.time = format_utc_timestamp(static_cast<UnixSeconds>(r.time_s));
  r.step = std::llround(iterations_);
  r.stage = plan_.stages[stage_].name;
  r.stage_index = static_cast<long long>(stage_);
  r.plan_stage = stage_;
  r.tokens = tokens_;
  r.energy_j = energy_j_;
  r.energy_source = all_energy_measured_ ? "nvml" : "model";
  return r;
}

RunRecord LogReader::finish(const std::vector<std::string>& files) {
  RunRecord run;
  for (const auto& f : files) run.dir += (run.dir.empty() ? "" : ", ") + f;
  run.name = "Megatron-LM log";
  run.plan = plan_;
  for (auto& r : records_) r.energy_source = all_energy_measured_ ? "nvml" : "model";
  run.records = std::move(records_);
  const bool complete =
      stage_ + 1 == plan_.stages.size() && tokens_ - stage_start_tokens_ >= trained_tokens(estimate_.stages.back());
  run.summary = nlohmann::json{{"complete", complete}};
  run.in_progress = !complete;
  return run;
}

}  // namespace

RunRecord read_megatron_logs(const Plan& plan, const PlanEstimate& estimate, const std::vector<std::string>& files) {
  if (files.empty()) throw InputError({"--megatron-log", 0, 0}, "megatron-log", "give at least one log file");
  LogReader reader(plan, estimate);
  for (const auto& f : files) reader.read(f);
  return reader.finish(files);
}

}  // namespace sprout::planner
