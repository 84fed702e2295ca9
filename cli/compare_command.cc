// SPDX-License-Identifier: GPL-3.0-or-later
// sprout compare PLAN.yaml RUN_DIR [--format table|json|csv] [--calibrate OUT.yaml]
//                [--loss-model F] [plan overrides]
// sprout compare PLAN.yaml --megatron-log FILE... [same options]
// sprout compare RUN_DIR [same options]: the run against the plan it copied (RUN_DIR/plan.yaml)
// Predicted versus actual, also for a run still writing; a Megatron-LM run
// from its training logs (planner/runs/megatron_log.h).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"
#include "plan_options.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/loss_model_file.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/calibration.h"
#include "sprout/planner/runs/megatron_log.h"
#include "sprout/planner/runs/run_comparison.h"
#include "sprout/simulator/iteration/pipeline_bubble.h"

namespace sprout::cli {
namespace {

using planner::PredictedActual;
using planner::StageComparison;

struct Metric {
  const char* key;
  const char* title;
  PredictedActual StageComparison::*field;
  std::string (*show)(double);
};

std::string show_seconds(double v) { return human_duration(v); }
std::string show_rate(double v) { return fmt::format("{:.4g}", v); }
std::string show_count(double v) { return human_count(v); }
std::string show_hours(double v) { return human_hours(v); }
std::string show_usd(double v) { return human_usd(v); }
std::string show_kwh(double v) { return human_energy_kwh(v); }
std::string show_kg(double v) { return human_mass_kg(v); }
std::string show_gb(double v) { return fmt::format("{:.3g} GB", v); }

const Metric kMetrics[] = {
    {"wall_seconds", "wall time", &StageComparison::wall_seconds, show_seconds},
    {"tokens_per_s", "tokens/s", &StageComparison::tokens_per_s, show_count},
    {"tflops_per_gpu", "TFLOP/s per GPU", &StageComparison::tflops_per_gpu, show_rate},
    {"gpu_hours", "GPU-hours", &StageComparison::gpu_hours, show_hours},
    {"cost_usd", "USD", &StageComparison::cost_usd, show_usd},
    {"energy_kwh", "energy", &StageComparison::energy_kwh, show_kwh},
    {"co2e_kg", "CO2e", &StageComparison::co2e_kg, show_kg},
};

// Where the run measured it (StageComparison::peak_memory_gb).
const char* const kPeakMemoryKey = "peak_memory_gb";
const char* const kPeakMemoryTitle = "peak memory";

nlohmann::json metric_json(const PredictedActual& v) {
  return {{"predicted", v.predicted},
          {"actual", v.actual},
          {"error", v.error_abs()},
          {"error_fraction", v.error_fraction()}};
}

nlohmann::json stage_json(const StageComparison& s) {
  nlohmann::json j = {{"name", s.name},
                      {"reached", s.reached},
                      {"complete", s.complete},
                      {"fraction_done", s.fraction_done},
                      {"tokens", s.tokens}};
  for (const auto& m : kMetrics) j["metrics"][m.key] = metric_json(s.*m.field);
  if (s.peak_memory_gb) j["metrics"][kPeakMemoryKey] = metric_json(*s.peak_memory_gb);
  j["final_train_loss"] = s.final_train_loss ? nlohmann::json(*s.final_train_loss) : nlohmann::json();
  j["final_val_loss"] = s.final_val_loss ? nlohmann::json(*s.final_val_loss) : nlohmann::json();
  return j;
}

std::string stage_label(const StageComparison& s) {
  if (s.complete) return s.name;
  return fmt::format("{} ({:.0f}%)", s.name, 100 * s.fraction_done);
}

void add_row(TextTable& t, const StageComparison& s, const char* title, const PredictedActual& v,
             std::string (*show)(double), bool human) {
  t.add_row({stage_label(s), title, human ? show(v.predicted) : fmt::format("{}", v.predicted),
             human ? show(v.actual) : fmt::format("{}", v.actual),
             human ? fmt::format("{:+.1f}%", 100 * v.error_fraction()) : fmt::format("{}", v.error_fraction())});
}

void add_rows(TextTable& t, const StageComparison& s, bool human) {
  for (const auto& m : kMetrics) add_row(t, s, m.title, s.*m.field, m.show, human);
  if (s.peak_memory_gb) add_row(t, s, kPeakMemoryTitle, *s.peak_memory_gb, show_gb, human);
}

// --calibrate OUT.yaml: the plan's hardware profile fitted to the run, each
// fitted number's source saying so.
planner::CalibrationResult write_calibrated_profile(const planner::Plan& p, const planner::RunRecord& run,
                                                    const std::string& energy_source, const std::string& out) {
  planner::CalibrationResult cal = planner::calibrate_profile(p, run);
  const planner::HardwareProfile& base = p.cluster.hardware;
  cal.profile.name = std::filesystem::path(out).stem().string();
  cal.profile.description = base.description + " (calibrated)";
  const std::string fitted = "calibrated from " + run.dir;
  std::map<std::string, std::string> sources = {
      {"gemm_efficiency", fitted},   {"batched_gemm_efficiency", fitted},    {"batched_gemm_shapes", fitted},
      {"peak_tflops", fitted},       {"flash_attention_efficiency", fitted}, {"memory_efficiency", fitted},
      {"kernel_overhead_us", fitted}};
  if (cal.power_fitted) sources["typical_power_fraction"] = fitted + " (" + energy_source + ")";
  const std::string as_in = "as in " + (base.source_file.empty() ? base.name : base.source_file);
  planner::write_file_atomically(out, planner::hardware_profile_to_yaml(cal.profile, sources, as_in));
  return cal;
}

// Megatron-LM prints its own TFLOP/s per GPU (its FLOP count, attention and
// recompute as it counts them): the mean per stage, beside the planner's.
std::string logged_tflops_line(const planner::RunRecord& run) {
  std::string out;
  for (size_t k = 0; k < run.plan.stages.size(); ++k) {
    double sum = 0;
    int n = 0;
    for (const auto* r : run.stage_records(k)) {
      if (r->tflops_per_gpu) sum += *r->tflops_per_gpu, ++n;
    }
    if (n > 0) out += fmt::format("{}{} {:.1f}", out.empty() ? "" : ", ", run.plan.stages[k].name, sum / n);
  }
  return out.empty() ? out : "\nTFLOP/s per GPU as the log counts them (mean per stage): " + out + "\n";
}

// The comparison as JSON (`--format json`).
nlohmann::json comparison_json(const planner::RunComparison& c,
                               const std::vector<simulator::PipelineBubbleCheck>& bubbles,
                               const std::optional<planner::CalibrationResult>& cal, const std::string& calibrate) {
  nlohmann::json j = {{"plan", c.plan_name},
                      {"run_dir", c.run_dir},
                      {"in_progress", c.in_progress},
                      {"rank_count", c.rank_count},
                      {"energy_source", c.energy_source}};
  j["stages"] = nlohmann::json::array();
  for (const auto& s : c.stages) j["stages"].push_back(stage_json(s));
  j["total"] = stage_json(c.total);
  j["loss_curve"] = nlohmann::json::array();
  for (const auto& pt : c.loss_curve) {
    nlohmann::json q = {{"tokens", pt.tokens}, {"loss", pt.loss}};
    if (pt.val_loss) q["val_loss"] = *pt.val_loss;
    if (pt.predicted_loss) q["predicted_loss"] = *pt.predicted_loss;
    j["loss_curve"].push_back(q);
  }
  j["pipeline_bubbles"] = nlohmann::json::array();
  for (const auto& b : bubbles) {
    nlohmann::json e = {{"stage", b.stage_name},
                        {"schedule", b.schedule},
                        {"stages", b.stages},
                        {"chunks", b.chunks},
                        {"micro_batches", b.micro_batches},
                        {"steps", b.steps},
                        {"measured_fraction", b.measured_fraction},
                        {"simulated_fraction", b.simulated_fraction},
                        {"analytic_fraction", b.analytic_fraction}};
    if (b.replayed_fraction) e["replayed_fraction"] = *b.replayed_fraction;
    j["pipeline_bubbles"].push_back(e);
  }
  if (cal) {
    j["calibration"] = {{"profile", calibrate},
                        {"efficiency_factor", cal->efficiency_factor},
                        {"kernel_overhead_us", cal->kernel_overhead_us},
                        {"power_fitted", cal->power_fitted},
                        {"wall_error_before", cal->total_error_before},
                        {"wall_error_after", cal->total_error_after},
                        {"factor_at_bound", cal->factor_at_bound}};
  }
  return j;
}

// `sprout compare RUN_DIR`: the run directory alone is compared with the plan
// sprout-train copied into it (RUN_DIR/plan.yaml).
void take_run_directory_alone(PlanOptionValues& plan, std::string& run_dir) {
  if (!run_dir.empty() || !std::filesystem::is_directory(plan.plan_file)) return;
  run_dir = plan.plan_file;
  plan.plan_file = (std::filesystem::path(run_dir) / "plan.yaml").string();
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "compare", "Predicted versus actual for a sprout-train run (also in progress) or Megatron-LM logs");
  auto plan = std::make_shared<PlanOptionValues>();
  auto run_dir = std::make_shared<std::string>();
  auto megatron_logs = std::make_shared<std::vector<std::string>>();
  auto calibrate = std::make_shared<std::string>();
  auto loss_model_file = std::make_shared<std::string>();
  add_plan_options(*cmd, *plan);
  auto* run_dir_option = cmd->add_option("run_dir", *run_dir, "Run directory written by sprout-train");
  cmd->add_option("--megatron-log", *megatron_logs,
                  "Megatron-LM training logs of the plan's stages, in stage order (instead of RUN_DIR)")
      ->excludes(run_dir_option)
      ->expected(1, -1);
  cmd->add_option("--calibrate", *calibrate, "Fit the hardware profile to the run and write it here");
  cmd->add_option("--loss-model", *loss_model_file, "Loss model (sprout fit-loss) for the predicted loss curve");
  cmd->callback([plan, run_dir, megatron_logs, calibrate, loss_model_file] {
    if (megatron_logs->empty()) take_run_directory_alone(*plan, *run_dir);
    const Format format = plan->format;
    const planner::Plan p = plan->load();
    if (run_dir->empty() && megatron_logs->empty()) {
      throw planner::InputError({"sprout compare", 0, 0}, "run_dir", "give a RUN_DIR or --megatron-log FILE...");
    }
    const planner::PlanEstimate estimate = planner::estimate_plan(p);
    const planner::RunRecord run =
        megatron_logs->empty() ? planner::read_run(*run_dir) : planner::read_megatron_logs(p, estimate, *megatron_logs);
    const std::optional<planner::LossModel> loss_model =
        loss_model_file->empty() ? std::nullopt : std::optional(planner::load_loss_model(*loss_model_file));
    const planner::RunComparison c = planner::compare_run(p, estimate, run, loss_model ? &*loss_model : nullptr);
    const std::vector<simulator::PipelineBubbleCheck> bubbles = simulator::check_pipeline_bubbles(run);

    std::optional<planner::CalibrationResult> cal;
    if (!calibrate->empty()) cal = write_calibrated_profile(p, run, c.energy_source, *calibrate);

    if (format == Format::kJson) {
      std::cout << comparison_json(c, bubbles, cal, *calibrate).dump(2) << "\n";
      return;
    }
    TextTable t({"stage", "metric", "predicted", "actual", "error"});
    for (const auto& s : c.stages) {
      if (s.reached) add_rows(t, s, format == Format::kTable);
    }
    add_rows(t, c.total, format == Format::kTable);
    if (format == Format::kCsv) {
      std::cout << t.render_csv();
      return;
    }
    std::cout << fmt::format("{} vs run {}: {}, {} rank{}, energy from {}{}\n\n", c.plan_name, c.run_dir,
                             c.in_progress ? "IN PROGRESS" : "complete", c.rank_count, c.rank_count == 1 ? "" : "s",
                             c.energy_source,
                             c.energy_source == "model" ? " (the profile's power x time, not a measurement)"
                                                        : " (the devices; the rest of the node from the profile)");
    std::cout << t.render();
    for (const auto& b : bubbles) {
      std::cout << fmt::format(
          "\npipeline bubble, stage '{}' ({}, p={} v={} m={}, {} steps): measured {:.3f}; "
          "simulated from the mean op times {:.3f}{}; analytic (p-1)/(v m) {:.3f}\n",
          b.stage_name, b.schedule, b.stages, b.chunks, b.micro_batches, b.steps, b.measured_fraction,
          b.simulated_fraction,
          b.replayed_fraction ? fmt::format(", replaying every op {:.3f}", *b.replayed_fraction) : std::string(),
          b.analytic_fraction);
    }
    if (!megatron_logs->empty()) std::cout << logged_tflops_line(run);
    if (c.total.final_val_loss) {
      std::cout << fmt::format("\nfinal validation loss {:.4f} after {} tokens\n", *c.total.final_val_loss,
                               human_count(c.total.tokens));
    }
    if (cal) {
      std::cout << fmt::format(
          "\ncalibrated profile written to {}: throughput x{:.3f} (GEMMs, attention, memory-bound kernels), "
          "kernel overhead {:.1f} us{}\n"
          "wall-time error of the plan: {:+.1f}% before, {:+.1f}% after\n",
          *calibrate, cal->efficiency_factor, cal->kernel_overhead_us,
          cal->power_fitted ? fmt::format(", typical power {:.2f} x TDP", cal->typical_power_fraction) : "",
          100 * cal->total_error_before, 100 * cal->total_error_after);
      if (cal->factor_at_bound) {
        std::cout << "warning: the throughput factor reached the end of its range without reproducing the run: "
                     "what it does not scale (memory or disk bandwidth, network) is off; measure this machine "
                     "with `sprout profile` and calibrate that profile\n";
      }
    }
  });
}

}  // namespace sprout::cli
