// SPDX-License-Identifier: GPL-3.0-or-later
#include "estimate_report.h"

#include <fmt/format.h>

#include "output.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/estimate_json.h"
#include "sprout/planner/cost/estimate_rows.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::cli {
using namespace sprout::planner;

namespace {

// CSV: every figure unrounded; the baseline row is called scratch_baseline.
std::vector<std::string> csv_row(const EstimateRow& r) {
  std::vector<std::string> cells = {r.kind == EstimateRowKind::kScratch ? "scratch_baseline" : r.name,
                                    round_trip_text(r.params), round_trip_text(r.tokens), round_trip_text(r.flops)};
  if (r.stage) {
    const StageFigures& s = *r.stage;
    cells.insert(cells.end(),
                 {std::to_string(s.layout.tp), std::to_string(s.layout.pp), std::to_string(s.layout.dp),
                  std::to_string(s.layout.micro_batch), std::to_string(s.layout.interleave),
                  to_string(s.layout.recompute), round_trip_text(s.tflops_per_gpu),
                  round_trip_text(s.hardware_tflops_per_gpu), round_trip_text(s.mfu), round_trip_text(s.iteration_s)});
  } else {
    cells.insert(cells.end(), 10, "");
  }
  const Costs& c = r.costs;
  cells.insert(cells.end(),
               {std::to_string(r.gpus), round_trip_text(c.seconds / kSecondsPerDay), round_trip_text(c.gpu_hours),
                round_trip_text(c.cost_usd), round_trip_text(c.energy_kwh), round_trip_text(c.co2e_kg),
                round_trip_text(c.embodied_co2e_kg), r.stage ? round_trip_text(r.stage->memory_gb_per_gpu) : ""});
  return cells;
}

// The P50 costs of a row: its stage's, the run's on the total row, none for
// the from-scratch baseline.
const Costs* median_of(const EstimateRow& row, const simulator::PercentileRunCosts* median) {
  if (!median || row.kind == EstimateRowKind::kScratch) return nullptr;
  if (row.kind == EstimateRowKind::kTotal) return &median->total;
  for (const auto& [name, costs] : median->stages) {
    if (name == row.name) return &costs;
  }
  return nullptr;
}

}  // namespace

nlohmann::json median_json(const simulator::PercentileRunCosts& median) {
  auto costs = [](const Costs& c) {
    return nlohmann::json{{"days", c.seconds / kSecondsPerDay},
                          {"gpu_hours", c.gpu_hours},
                          {"cost_usd", c.cost_usd},
                          {"energy_kwh", c.energy_kwh},
                          {"co2e_kg", c.co2e_kg}};
  };
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& [name, c] : median.stages) {
    nlohmann::json j = costs(c);
    j["name"] = name;
    stages.push_back(j);
  }
  return {{"percentile", median.percentile},
          {"trials", median.trials},
          {"seed", median.seed},
          {"stages", stages},
          {"total", costs(median.total)}};
}

std::string estimate_table(const PlanEstimate& e, const Plan& plan, const simulator::PercentileRunCosts* median) {
  const Cluster& cluster = plan.cluster;
  std::string out = fmt::format(
      "{}\n{} x {} GPUs ({:g} TFLOP/s peak), region {} ({:.0f} gCO2e/kWh, PUE {:.2f}), "
      "${:.2f}/GPU-hour, power model {}\n\n",
      e.name, cluster.hardware.name, cluster.gpus, cluster.hardware.peak_tflops, cluster.region.name,
      cluster.region.grid_g_co2e_per_kwh, cluster.region.pue, cluster.price_usd_per_gpu_hour,
      to_string(cluster.power_model));
  std::vector<std::string> columns = estimate_columns();
  if (median) columns.insert(columns.end(), {"P50 time", "P50 GPU-h", "P50 USD", "P50 CO2e"});
  TextTable table(columns);
  for (EstimateRow& row : estimate_rows(e, cluster.gpus)) {
    if (row.kind == EstimateRowKind::kTotal) table.add_separator();
    if (median) {
      const Costs* c = median_of(row, median);
      row.cells.insert(row.cells.end(), {c ? human_duration(c->seconds) : "", c ? human_hours(c->gpu_hours) : "",
                                         c ? human_usd(c->cost_usd) : "", c ? human_mass_kg(c->co2e_kg) : ""});
    }
    table.add_row(std::move(row.cells));
  }
  out += table.render();
  if (median) {
    out += fmt::format(
        "\nP50: the simulator's median run ({} trials, seed {}): failures, restarts, checkpoints and "
        "evaluations included (sprout simulate shows the spread)\n",
        median->trials, median->seed);
  }
  out += "\n* layout chosen by the planner (fastest that fits); embodied carbon ";
  out += human_mass_kg(e.total.embodied_co2e_kg) + " extra\n";
  double growth_s = 0;
  for (const auto& s : e.stages) growth_s += s.growth_transition_s;
  if (growth_s > 0) out += "growth transitions: " + human_duration(growth_s) + " in total (included)\n";
  if (e.scratch_baseline && e.scratch_total.seconds > 0) {
    out += fmt::format(
        "growth vs from scratch on the same {} tokens: {} vs {}, saves {} of the time, "
        "{} and {} CO2e\n",
        human_count(e.total_tokens), human_duration(e.total.seconds), human_duration(e.scratch_total.seconds),
        percent(1 - e.total.seconds / e.scratch_total.seconds), human_usd(e.scratch_total.cost_usd - e.total.cost_usd),
        human_mass_kg(e.scratch_total.co2e_kg - e.total.co2e_kg));
  }
  return out;
}

std::string estimate_csv(const PlanEstimate& e, const Plan& plan, const simulator::PercentileRunCosts* median) {
  std::vector<std::string> header = {"stage",
                                     "params",
                                     "tokens",
                                     "flops",
                                     "tp",
                                     "pp",
                                     "dp",
                                     "micro_batch",
                                     "interleave",
                                     "recompute",
                                     "tflops_per_gpu",
                                     "hardware_tflops_per_gpu",
                                     "mfu",
                                     "iteration_seconds",
                                     "gpus",
                                     "days",
                                     "gpu_hours",
                                     "cost_usd",
                                     "energy_kwh",
                                     "co2e_kg",
                                     "embodied_co2e_kg",
                                     "memory_gb_per_gpu"};
  if (median) header.insert(header.end(), {"p50_days", "p50_gpu_hours", "p50_cost_usd", "p50_co2e_kg"});
  TextTable t(header);
  for (const EstimateRow& row : estimate_rows(e, plan.cluster.gpus)) {
    std::vector<std::string> cells = csv_row(row);
    if (median) {
      const Costs* c = median_of(row, median);
      if (c) {
        cells.insert(cells.end(), {round_trip_text(c->seconds / kSecondsPerDay), round_trip_text(c->gpu_hours),
                                   round_trip_text(c->cost_usd), round_trip_text(c->co2e_kg)});
      } else {
        cells.insert(cells.end(), 4, "");
      }
    }
    t.add_row(std::move(cells));
  }
  return t.render_csv();
}

std::string estimate_explanation(const PlanEstimate& e, const Plan& plan) {
  std::string out;
  auto explain_stage = [&](const StageEstimate& s) {
    const IterationEstimate& it = s.iteration;
    const IterationBreakdown& b = it.breakdown;
    const double total = it.iteration_s;
    out +=
        fmt::format("\nstage {}: {} layers x hidden {} ({} heads, {} kv), ffn {}, {} params\n", s.name, s.shape.layers,
                    s.shape.hidden, s.shape.heads, s.shape.kv_heads, s.shape.ffn_hidden, human_count(s.params));
    out += fmt::format("  layout {}{}; {} sequences per step in {} micro-batches; {} steps\n", describe(s.layout),
                       s.layout_searched ? " (searched)" : " (from the plan)", it.global_batch_sequences,
                       it.micro_batches, human_number(static_cast<double>(s.iterations)));
    if (s.throughput_overridden) {
      out += fmt::format("  throughput fixed by the plan at {:.1f} TFLOP/s per GPU\n", it.tflops_per_gpu);
    }
    auto part = [&](const char* name, double sec) {
      out += fmt::format("    {:<12} {:>10.3f} s  {:>6}\n", name, sec, percent(sec / total));
    };
    out += fmt::format("  iteration {:.3f} s = {:.1f} TFLOP/s per GPU (MFU {}, HFU {}):\n", total, it.tflops_per_gpu,
                       percent(it.mfu), percent(it.hfu));
    part("compute", b.compute_s);
    part("TP comm", b.tp_comm_s);
    part("PP bubble", b.bubble_s);
    part("PP p2p", b.pp_comm_s);
    part("DP comm", b.dp_comm_s);
    part("optimizer", b.optimizer_s);
    part("other", b.other_s);
    const MemoryBreakdown& m = s.memory;
    out += fmt::format(
        "  memory {:.1f} of {:.0f} GB: weights {:.1f}, grads {:.1f}, optimizer {:.1f}, "
        "activations {:.1f}{}, reserved {:.1f}\n",
        m.total_gb(), plan.cluster.hardware.hbm_gb, m.weights_gb, m.gradients_gb, m.optimizer_gb, m.activations_gb,
        m.growth_ramp_gb > 0 ? fmt::format(" (+{:.1f} during the MSG ramp)", m.growth_ramp_gb) : "", m.reserved_gb);
    if (s.growth.any()) {
      out += fmt::format("  grown by {}: {} transition (restart-point save{}), MSG mask for {} steps costs {}\n",
                         describe(s.growth), human_duration(s.growth_transition_s),
                         s.growth_transition_s > 60 ? ", relaunch under the new layout" : "", s.ramp_iterations,
                         human_duration(s.mask_ramp_s));
    }
    if (!s.alternatives.empty()) {
      out += "  runner-up layouts:\n";
      for (const auto& alt : s.alternatives) {
        out += fmt::format("    {:<40} {:>7.1f} TF/GPU  {:>6.1f} GB  {:+.1f}% time\n", describe(alt.layout),
                           alt.estimate.tflops_per_gpu, alt.memory.total_gb(),
                           100 * (alt.estimate.iteration_s / alt.estimate.global_batch_sequences /
                                      (it.iteration_s / it.global_batch_sequences) -
                                  1));
      }
    }
  };
  for (const auto& s : e.stages) explain_stage(s);
  if (e.scratch_baseline) explain_stage(*e.scratch_baseline);
  return out;
}

}  // namespace sprout::cli
