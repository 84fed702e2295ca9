// SPDX-License-Identifier: GPL-3.0-or-later
#include "export_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

std::string comment_safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Geometry geometry_of(const Plan& plan, const ExportOptions& o) {
  Geometry g;
  g.tasks = plan.cluster.gpus;
  g.gpus_per_node = o.gpus_per_node > 0 ? o.gpus_per_node
                                        : std::min(plan.cluster.gpus, std::max(1, plan.cluster.hardware.gpus_per_node));
  if (o.nodes > 0) {
    g.nodes = o.nodes;
    if (o.gpus_per_node <= 0) g.gpus_per_node = plan.cluster.gpus / std::max(1, o.nodes);
  } else {
    g.nodes = (plan.cluster.gpus + g.gpus_per_node - 1) / g.gpus_per_node;
  }
  if (g.nodes * g.gpus_per_node != plan.cluster.gpus) {
    throw InputError({"--nodes", 0, 0}, "nodes",
                     fmt::format("{} nodes x {} GPUs per node = {} but the plan runs on {} GPUs", g.nodes,
                                 g.gpus_per_node, g.nodes * g.gpus_per_node, plan.cluster.gpus));
  }
  return g;
}

std::string prediction_lines(const Plan& plan, const PlanEstimate& e, const std::string& prefix) {
  const Cluster& c = plan.cluster;
  std::string out;
  out += fmt::format("{}hardware:  {} x {} GPUs, region {} ({:g} gCO2e/kWh, PUE {:g}), ${:.2f}/GPU-hour\n", prefix,
                     comment_safe(c.hardware.name), c.gpus, comment_safe(c.region.name), c.region.grid_g_co2e_per_kwh,
                     c.region.pue, c.price_usd_per_gpu_hour);
  out += fmt::format(
      "{}predicted: {}, {} GPU-hours, {}, {}, {} CO2e (sprout plan, failure-free;\n"
      "{}           `sprout simulate` gives P10/P50/P90 with failures and checkpoints)\n",
      prefix, human_duration(e.total.seconds), human_hours(e.total.gpu_hours), human_usd(e.total.cost_usd),
      human_energy_kwh(e.total.energy_kwh), human_mass_kg(e.total.co2e_kg), prefix);
  for (const auto& s : e.stages) {
    out += fmt::format("{}  stage {:<10} {}  {}  {:.3g} TFLOP/s per GPU\n", prefix, comment_safe(s.name),
                       describe(s.layout), human_duration(s.costs.seconds), s.iteration.tflops_per_gpu);
  }
  return out;
}

ExportWriter::ExportWriter(const std::string& out_dir, ExportResult& result)
    : dir_(std::filesystem::absolute(out_dir).lexically_normal().string()), result_(result) {}

void ExportWriter::write(const std::string& file, const std::string& text, bool executable) {
  const std::filesystem::path path = std::filesystem::path(dir_) / file;
  write_file_atomically(path.string(), text);
  if (executable) {
    std::filesystem::permissions(path, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                                 std::filesystem::perm_options::add);
  }
  result_.files.push_back(path.string());
}

}  // namespace sprout::planner
