// SPDX-License-Identifier: GPL-3.0-or-later
#include "estimate_report.h"

#include <fmt/format.h>

#include "output.h"
#include "sprout/planner/cost/estimate_json.h"

namespace sprout::cli {
using namespace sprout::planner;

namespace {

constexpr double kDay = 86400;

std::vector<std::string> stage_row(const std::string& name, const StageEstimate& s) {
  return {name,
          human_count(s.params),
          human_count(s.tokens),
          describe(s.layout) + (s.layout_searched ? " *" : ""),
          fmt::format("{:.3g}", s.iteration.tflops_per_gpu),
          percent(s.iteration.mfu),
          fmt::format("{:.1f}", s.memory.total_gb()),
          human_duration(s.costs.seconds),
          human_hours(s.costs.gpu_hours),
          human_usd(s.costs.cost_usd),
          human_energy_kwh(s.costs.energy_kwh),
          human_mass_kg(s.costs.co2e_kg)};
}

std::vector<std::string> totals_row(const std::string& name, const Costs& c, double params,
                                    double tokens) {
  return {name, human_count(params), human_count(tokens), "", "", "", "",
          human_duration(c.seconds), human_hours(c.gpu_hours), human_usd(c.cost_usd),
          human_energy_kwh(c.energy_kwh), human_mass_kg(c.co2e_kg)};
}

const std::vector<std::string> kHeader = {"stage", "params", "tokens", "layout", "TF/GPU", "MFU",
                                          "GB/GPU", "time", "GPU-hours", "USD", "energy", "CO2e"};

}  // namespace

std::string estimate_table(const PlanEstimate& e, const Plan& plan) {
  std::string out = fmt::format(
      "{}\n{} x {} GPUs ({:g} TFLOP/s peak), region {} ({:.0f} gCO2e/kWh, PUE {:.2f}), "
      "${:.2f}/GPU-hour, power model {}\n\n",
      e.name, plan.hardware.name, plan.gpus, plan.hardware.peak_tflops, plan.region.name,
      plan.region.grid_g_co2e_per_kwh, plan.region.pue, plan.price_usd_per_gpu_hour,
      to_string(plan.power_model));
  TextTable table(kHeader);
  for (const auto& s : e.stages) {
    std::string name = s.name;
    if (s.growth.any()) name = "+" + describe(s.growth) + " " + name;
    table.add_row(stage_row(name, s));
  }
  table.add_separator();
  table.add_row(totals_row("total", e.total, e.stages.back().params, e.total_tokens));
  if (e.scratch_baseline) table.add_row(stage_row(e.scratch_baseline->name, *e.scratch_baseline));
  out += table.render();
  out += "\n* layout chosen by the planner (fastest that fits); embodied carbon ";
  out += human_mass_kg(e.total.embodied_co2e_kg) + " extra\n";
  double growth_s = 0;
  for (const auto& s : e.stages) growth_s += s.growth_transition_s;
  if (growth_s > 0) out += "growth transitions: " + human_duration(growth_s) + " in total (included)\n";
  if (e.scratch_baseline && e.scratch_total.seconds > 0) {
    out += fmt::format(
        "growth vs from scratch on the same {} tokens: {} vs {}, saves {} of the time, "
        "{} and {} CO2e\n",
        human_count(e.total_tokens), human_duration(e.total.seconds),
        human_duration(e.scratch_total.seconds),
        percent(1 - e.total.seconds / e.scratch_total.seconds),
        human_usd(e.scratch_total.cost_usd - e.total.cost_usd),
        human_mass_kg(e.scratch_total.co2e_kg - e.total.co2e_kg));
  }
  return out;
}

std::string estimate_csv(const PlanEstimate& e, const Plan& plan) {
  TextTable t({"stage", "params", "tokens", "flops", "tp", "pp", "dp", "micro_batch", "interleave",
               "recompute", "tflops_per_gpu", "hardware_tflops_per_gpu", "mfu",
               "iteration_seconds", "gpus", "days", "gpu_hours", "cost_usd", "energy_kwh",
               "co2e_kg", "embodied_co2e_kg", "memory_gb_per_gpu"});
  auto row = [&](const std::string& name, const StageEstimate& s) {
    t.add_row({name, fmt::format("{}", s.params), fmt::format("{}", s.tokens),
               fmt::format("{}", s.flops), std::to_string(s.layout.tp), std::to_string(s.layout.pp),
               std::to_string(s.layout.dp), std::to_string(s.layout.micro_batch),
               std::to_string(s.layout.interleave), to_string(s.layout.recompute),
               fmt::format("{}", s.iteration.tflops_per_gpu),
               fmt::format("{}", s.iteration.hardware_tflops_per_gpu),
               fmt::format("{}", s.iteration.mfu), fmt::format("{}", s.iteration.iteration_s),
               std::to_string(plan.gpus), fmt::format("{}", s.costs.seconds / kDay),
               fmt::format("{}", s.costs.gpu_hours), fmt::format("{}", s.costs.cost_usd),
               fmt::format("{}", s.costs.energy_kwh), fmt::format("{}", s.costs.co2e_kg),
               fmt::format("{}", s.costs.embodied_co2e_kg),
               fmt::format("{}", s.memory.total_gb())});
  };
  for (const auto& s : e.stages) row(s.name, s);
  const Costs& c = e.total;
  t.add_row({"total", fmt::format("{}", e.stages.back().params), fmt::format("{}", e.total_tokens),
             fmt::format("{}", e.total_flops), "", "", "", "", "", "", "", "", "", "",
             std::to_string(plan.gpus), fmt::format("{}", c.seconds / kDay),
             fmt::format("{}", c.gpu_hours), fmt::format("{}", c.cost_usd),
             fmt::format("{}", c.energy_kwh), fmt::format("{}", c.co2e_kg),
             fmt::format("{}", c.embodied_co2e_kg), ""});
  if (e.scratch_baseline) row("scratch_baseline", *e.scratch_baseline);
  return t.render_csv();
}

std::string estimate_explanation(const PlanEstimate& e, const Plan& plan) {
  std::string out;
  auto explain_stage = [&](const StageEstimate& s) {
    const IterationEstimate& it = s.iteration;
    const IterationBreakdown& b = it.breakdown;
    const double total = it.iteration_s;
    out += fmt::format("\nstage {}: {} layers x hidden {} ({} heads, {} kv), ffn {}, {} params\n",
                       s.name, s.shape.layers, s.shape.hidden, s.shape.heads, s.shape.kv_heads,
                       s.shape.ffn_hidden, human_count(s.params));
    out += fmt::format(
        "  layout {}{}; {} sequences per step in {} micro-batches; {} steps\n", describe(s.layout),
        s.layout_searched ? " (searched)" : " (from the plan)", it.global_batch_sequences,
        it.micro_batches, human_number(static_cast<double>(s.iterations)));
    if (s.throughput_overridden) {
      out += fmt::format("  throughput fixed by the plan at {:.1f} TFLOP/s per GPU\n", it.tflops_per_gpu);
    }
    auto part = [&](const char* name, double sec) {
      out += fmt::format("    {:<12} {:>10.3f} s  {:>6}\n", name, sec, percent(sec / total));
    };
    out += fmt::format("  iteration {:.3f} s = {:.1f} TFLOP/s per GPU (MFU {}, HFU {}):\n", total,
                       it.tflops_per_gpu, percent(it.mfu), percent(it.hfu));
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
        "activations {:.1f}, reserved {:.1f}\n",
        m.total_gb(), plan.hardware.hbm_gb, m.weights_gb, m.gradients_gb, m.optimizer_gb,
        m.activations_gb, m.reserved_gb);
    if (s.growth.any()) {
      out += fmt::format("  grown by {}: {} transition (restart-point save{}), MSG mask for {} steps costs {}\n",
                         describe(s.growth), human_duration(s.growth_transition_s),
                         s.growth_transition_s > 60 ? ", relaunch under the new layout" : "",
                         s.ramp_iterations, human_duration(s.mask_ramp_s));
    }
    if (!s.alternatives.empty()) {
      out += "  runner-up layouts:\n";
      for (const auto& alt : s.alternatives) {
        out += fmt::format("    {:<40} {:>7.1f} TF/GPU  {:>6.1f} GB  {:+.1f}% time\n",
                           describe(alt.layout), alt.estimate.tflops_per_gpu, alt.memory.total_gb(),
                           100 * (alt.estimate.iteration_s / alt.estimate.global_batch_sequences /
                                      (it.iteration_s / it.global_batch_sequences) - 1));
      }
    }
  };
  for (const auto& s : e.stages) explain_stage(s);
  if (e.scratch_baseline) explain_stage(*e.scratch_baseline);
  return out;
}

}  // namespace sprout::cli
