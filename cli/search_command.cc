// SPDX-License-Identifier: GPL-3.0-or-later
// sprout search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192
//               [--region R] [--price USD] [--power-model tdp|typical]
//               [--deadline-days D] [--max-co2e-t T] [--loss-model F] [--max-stages N]
//               [--grid N] [--top K] [--write-plans DIR] [--compare PLAN.yaml] [--like PLAN.yaml]
//               [--shapes LxH,...] [--confidence 0.5|0.9|none]
//               [--format table|json|csv]
// docs/search.md explains the search, the loss model and the output.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>

#include "commands.h"
#include "output.h"
#include "plan_options.h"
#include "search_report.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/loss_model_file.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/run/percentile_costs.h"
#include "sprout/simulator/run/simulation.h"

namespace sprout::cli {
namespace {

struct SearchOptions {
  std::optional<double> target_params;
  std::optional<std::string> target_shape;
  double budget_usd = 0;
  planner::ClusterOverrides cluster{.region = "us-average"};
  std::optional<double> deadline_days;
  std::optional<double> max_co2e_t;
  std::optional<std::string> loss_model;
  int max_stages = 3;
  int grid = 8;
  size_t top = 10;
  std::optional<std::string> write_plans;
  std::optional<std::string> compare;
  std::optional<std::string> like;
  std::vector<std::string> shapes;
  Format format = Format::kTable;
  long long risk_trials = 1000;
  std::string confidence = "0.5";
};

// "80x10240" (heads of 128) or "80x10240x80"; `flag` names the option in errors.
planner::ModelShape parse_shape(const std::string& text, const planner::StageTemplate& t, const char* flag) {
  static const std::regex pattern(R"((\d+)x(\d+)(?:x(\d+))?)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) {
    throw planner::InputError({flag, 0, 0}, "shape", "'" + text + "' is not LAYERSxHIDDEN or LAYERSxHIDDENxHEADS");
  }
  planner::ModelShape s = planner::target_shape_for_params(1e9, t);  // vocab, seq_len, ...
  s.layers = std::stoi(m[1]);
  s.hidden = std::stoi(m[2]);
  s.heads = m[3].matched ? std::stoi(m[3]) : s.hidden / 128;
  if (s.layers < 1 || s.heads < 1 || s.hidden % s.heads != 0) {
    throw planner::InputError({flag, 0, 0}, "shape",
                              fmt::format("{}: {} heads do not divide hidden {}", text, s.heads, s.hidden));
  }
  s.kv_heads = s.heads;
  s.ffn_hidden = planner::default_ffn_hidden(s.hidden, s.activation);
  return s;
}

planner::SearchRequest make_request(const SearchOptions& o) {
  if (!o.target_shape && !o.target_params) {
    throw planner::InputError({"search", 0, 0}, "target", "give --target-params N or --target-shape LxH");
  }
  if (o.target_params && !(*o.target_params >= 1e6 && *o.target_params <= 1e14)) {
    throw planner::InputError({"--target-params", 0, 0}, "target_params",
                              fmt::format("{} is outside 1e6 .. 1e14 parameters", *o.target_params));
  }
  planner::SearchRequest r =
      planner::make_search_request(o.target_params.value_or(1e9), planner::find_cluster(o.cluster), o.budget_usd);
  if (o.like) r.stage = planner::stage_template_from(planner::load_plan(*o.like).stages.back());
  r.target = o.target_shape ? parse_shape(*o.target_shape, r.stage, "--target-shape")
                            : planner::target_shape_for_params(*o.target_params, r.stage);
  for (const std::string& shape : o.shapes) {
    planner::ModelShape s = parse_shape(shape, r.stage, "--shapes");
    if (shape.find('x') == shape.rfind('x')) s.heads = s.kv_heads = r.target.heads;  // keep the target's heads
    r.shapes.push_back(s);
  }
  if (o.deadline_days) r.deadline_seconds = *o.deadline_days * planner::kSecondsPerDay;
  if (o.max_co2e_t) r.max_co2e_kg = *o.max_co2e_t * 1000;
  if (o.loss_model) r.loss_model = planner::load_loss_model(*o.loss_model);
  r.max_stages = o.max_stages;
  r.grid_points_per_doubling = o.grid;
  if (o.confidence != "none") {
    r.risk = simulator::risk_screen(std::stod(o.confidence));
  }
  return r;
}

// The flag a user changes to relax a constraint.
const char* flag_of(const std::string& constraint) {
  if (constraint == "budget_usd") return "--budget-usd";
  if (constraint == "deadline") return "--deadline-days";
  if (constraint == "max_co2e") return "--max-co2e-t";
  return "--gpus";
}

// Progress on stderr, only for a person watching a terminal.
planner::SearchProgressCallback terminal_progress() {
  if (!::isatty(STDERR_FILENO)) return {};
  return [](const planner::SearchProgress& p) {
    std::fprintf(stderr, "\r%-22s %3.0f%%", p.phase.c_str(), 100 * p.fraction);
    return true;
  };
}

void run_search(const SearchOptions& o) {
  const planner::SearchRequest request = make_request(o);
  const auto progress = terminal_progress();
  const planner::SearchResult result = planner::search_schedules(request, progress);
  if (progress) std::fprintf(stderr, "\r%40s\r", "");
  if (result.infeasible) {
    throw planner::InputError({flag_of(result.infeasible->constraint), 0, 0}, "", result.infeasible->explanation);
  }
  SearchReport report{request, result, o.top, {}, {}, std::nullopt, {}, std::nullopt};
  if (o.write_plans) {
    std::filesystem::create_directories(*o.write_plans);
    for (size_t i = 0; i < std::min(o.top, result.ranked.size()); ++i) {
      const std::string file = (std::filesystem::path(*o.write_plans) / fmt::format("rank-{:02}.yaml", i + 1)).string();
      planner::write_file_atomically(file, planner::plan_to_yaml(result.ranked[i].plan));
      report.plan_files.push_back(file);
    }
    if (result.scratch) {
      report.scratch_plan_file = (std::filesystem::path(*o.write_plans) / "scratch.yaml").string();
      planner::write_file_atomically(report.scratch_plan_file, planner::plan_to_yaml(result.scratch->plan));
    }
  }
  if (o.risk_trials > 0) {
    // The search ranks by deterministic costs; the simulator says how they spread.
    simulator::SimulationOptions sim;
    sim.trials = o.risk_trials;
    for (size_t i = 0; i < std::min(o.top, result.ranked.size()); ++i) {
      report.risk.push_back(simulator::simulate_plan(result.ranked[i].plan, sim).distribution.total);
    }
    if (result.scratch) report.scratch_risk = simulator::simulate_plan(result.scratch->plan, sim).distribution.total;
  }
  if (o.compare) {
    planner::ScheduleCandidate c = planner::evaluate_schedule(planner::load_plan(*o.compare), request.loss_model);
    const planner::FrontPlacement placement =
        planner::place_on_front(planner::objectives_of(result.ranked), c.objectives());
    std::string note;
    const planner::Cluster& planned = c.plan.cluster;
    const planner::Cluster& searched = request.cluster;
    if (planned.hardware.name != searched.hardware.name || planned.gpus != searched.gpus ||
        planned.region.name != searched.region.name ||
        planned.price_usd_per_gpu_hour != searched.price_usd_per_gpu_hour) {
      note = fmt::format("it plans {} x {} in {} at ${:.2f}/GPU-hour, the search {} x {} in {} at ${:.2f}",
                         planned.gpus, planned.hardware.name, planned.region.name, planned.price_usd_per_gpu_hour,
                         searched.gpus, searched.hardware.name, searched.region.name, searched.price_usd_per_gpu_hour);
    }
    report.comparison = PlanComparison{*o.compare, std::move(c), placement, note};
  }
  switch (o.format) {
    case Format::kJson:
      std::cout << search_json(report).dump(2) << "\n";
      break;
    case Format::kCsv:
      std::cout << search_csv(report);
      break;
    case Format::kTable:
    case Format::kMarkdown:
      std::cout << search_table(report);
      break;  // markdown: not offered
  }
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("search", "Find the growth schedules that reach the lowest predicted loss within a budget");
  auto o = std::make_shared<SearchOptions>();
  auto* params = cmd->add_option("--target-params", o->target_params, "Parameters of the final model (e.g. 101e9)");
  auto* shape =
      cmd->add_option("--target-shape", o->target_shape, "Final model shape LAYERSxHIDDEN[xHEADS] (e.g. 80x10240)");
  params->excludes(shape);
  cmd->add_option("--budget-usd", o->budget_usd, "Budget in US dollars")->required()->check(CLI::PositiveNumber);
  const ClusterFlags cluster = add_cluster_options(*cmd, o->cluster, "");
  cluster.hardware->required();
  cluster.gpus->required();
  cluster.region->description("Region profile name or path (default us-average)");
  cluster.price->description("USD per GPU-hour (default: the hardware profile's)");
  cmd->add_option("--deadline-days", o->deadline_days, "Latest finish, in days of training")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-co2e-t", o->max_co2e_t, "Carbon cap in tonnes of operational CO2e")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--loss-model", o->loss_model, "Loss model file (sprout fit-loss); default Chinchilla 2022");
  cmd->add_option("--max-stages", o->max_stages, "Most stages in a schedule (default 3)")->check(CLI::Range(1, 8));
  cmd->add_option("--grid", o->grid, "Token grid points per doubling (default 8; finer is slower)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--top", o->top, "Schedules to show and write (default 10)")->check(CLI::PositiveNumber);
  cmd->add_option("--write-plans", o->write_plans, "Write the shown schedules and the baseline as plans into DIR");
  cmd->add_option("--like", o->like,
                  "Take vocab, sequence length, batch, dropout and grow_steps from this plan's last stage "
                  "(default: FLM-101B's)");
  cmd->add_option("--shapes", o->shapes,
                  "Only these shapes before the target, LAYERSxHIDDEN[xHEADS] (heads default to the target's), "
                  "e.g. 40x5760,40x10240 for FLM-101B's")
      ->delimiter(',');
  cmd->add_option("--compare", o->compare, "Place this plan (e.g. plans/flm-101b.yaml) against the front");
  add_format_option(*cmd, o->format);
  cmd->add_option("--risk-trials", o->risk_trials,
                  "Monte Carlo trials per shown schedule for P10/P50/P90 (default 1000; 0: skip)")
      ->check(CLI::Range(0LL, 1000000LL));
  cmd->add_option("--confidence", o->confidence,
                  "Keep only schedules whose simulated cost, days and CO2e at this percentile (failures and restarts "
                  "included) stay within the limits: 0.5 (default), 0.9, or none (failure-free costs)")
      ->check(CLI::IsMember({"0.5", "0.9", "none"}));
  cmd->callback([o] { run_search(*o); });
}

}  // namespace sprout::cli
