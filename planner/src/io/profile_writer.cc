// SPDX-License-Identifier: GPL-3.0-or-later
// Hardware profiles back to YAML (written by `sprout profile` and
// `sprout compare --calibrate`), every number with its source.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {

std::string hardware_profile_to_yaml(const HardwareProfile& hw, const std::map<std::string, std::string>& sources,
                                     const std::string& default_source) {
  YAML::Emitter out;
  auto source_of = [&](const std::string& key) {
    auto it = sources.find(key);
    return "source: " + (it == sources.end() ? default_source : it->second);
  };
  // `prefix` names the mapping a key is in for its source ("" at the top).
  auto number = [&](const std::string& prefix, const std::string& key, double v) {
    out << YAML::Key << key << YAML::Value << round_trip_text(v) << YAML::Comment(source_of(prefix + key));
  };
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << hw.name;
  if (!hw.description.empty()) out << YAML::Key << "description" << YAML::Value << hw.description;
  if (!hw.measured.empty()) out << YAML::Key << "measured" << YAML::Value << hw.measured;
  // One row of a table, on one line: {key: value, ...}.
  auto flow_row = [&](std::initializer_list<std::pair<const char*, std::string>> cells) {
    out << YAML::Flow << YAML::BeginMap;
    for (const auto& [key, value] : cells) out << YAML::Key << key << YAML::Value << value;
    out << YAML::EndMap;
  };
  auto begin_table = [&](const std::string& prefix, const std::string& key) {
    out << YAML::Key << key << YAML::Comment(source_of(prefix + key)) << YAML::Value << YAML::BeginSeq;
  };
  auto table = [&](const std::string& prefix, const std::string& key, const std::vector<EfficiencyPoint>& points) {
    begin_table(prefix, key);
    for (const auto& p : points)
      flow_row({{"flops", fmt::format("{:.6g}", p.flops)}, {"efficiency", round_trip_text(p.efficiency)}});
    out << YAML::EndSeq;
  };
  auto throughput = [&](const std::string& prefix, const DtypeThroughput& t) {
    number(prefix, "peak_tflops", t.peak_tflops);
    table(prefix, "gemm_efficiency", t.gemm_efficiency);
    if (!t.batched_gemm_efficiency.empty()) table(prefix, "batched_gemm_efficiency", t.batched_gemm_efficiency);
    if (!t.batched_gemm_shapes.empty()) {
      begin_table(prefix, "batched_gemm_shapes");
      for (const auto& s : t.batched_gemm_shapes) {
        flow_row({{"m", fmt::format("{}", s.m)},
                  {"n", fmt::format("{}", s.n)},
                  {"k", fmt::format("{}", s.k)},
                  {"efficiency", round_trip_text(s.efficiency)}});
      }
      out << YAML::EndSeq;
    }
    number(prefix, "memory_efficiency", t.memory_efficiency);
    number(prefix, "flash_attention_efficiency", t.flash_attention_efficiency);
    if (!t.trainer_ns_per_element.empty()) {
      out << YAML::Key << "trainer_ns_per_element" << YAML::Comment(source_of(prefix + "trainer_ns_per_element"))
          << YAML::Value << YAML::BeginMap;
      for (const auto& [op, costs] : t.trainer_ns_per_element) {
        out << YAML::Key << op << YAML::Value << YAML::BeginSeq;
        for (const auto& c : costs)
          flow_row({{"elements", fmt::format("{:.6g}", c.elements)}, {"ns", fmt::format("{}", c.ns)}});
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    if (t.trainer_first_step_s > 0) number(prefix, "trainer_first_step_s", t.trainer_first_step_s);
  };
  throughput("", hw.throughput());
  number("", "hbm_gb", hw.hbm_gb);
  number("", "hbm_gb_per_s", hw.hbm_gb_per_s);
  number("", "memory_reserved_gb", hw.memory_reserved_gb);
  number("", "kernel_overhead_us", hw.kernel_overhead_us);
  if (hw.fresh_memory_gb_per_s > 0) number("", "fresh_memory_gb_per_s", hw.fresh_memory_gb_per_s);
  number("", "gpus_per_node", hw.gpus_per_node);
  number("", "intra_node_gb_per_s", hw.intra_node_gb_per_s);
  number("", "intra_node_latency_us", hw.intra_node_latency_us);
  number("", "inter_node_gb_per_s", hw.inter_node_gb_per_s);
  number("", "inter_node_latency_us", hw.inter_node_latency_us);
  number("", "tdp_w", hw.tdp_w);
  number("", "typical_power_fraction", hw.typical_power_fraction);
  number("", "idle_power_w", hw.idle_power_w);
  number("", "node_overhead_w", hw.node_overhead_w);
  number("", "embodied_kg_co2e_per_gpu", hw.embodied_kg_co2e_per_gpu);
  number("", "lifetime_years", hw.lifetime_years);
  number("", "price_usd_per_gpu_hour", hw.price_usd_per_gpu_hour);
  number("", "checkpoint_write_gb_per_s", hw.checkpoint_write_gb_per_s);
  number("", "restart_overhead_s", hw.restart_overhead_s);
  number("", "mtbf_gpu_hours", hw.mtbf_gpu_hours);
  if (!hw.dtype.empty()) {
    out << YAML::Key << "dtype" << YAML::Value << hw.dtype
        << YAML::Comment(
               "the precision of the throughput keys: peak_tflops, the efficiency tables, memory_efficiency, "
               "flash_attention_efficiency, trainer_ns_per_element, trainer_first_step_s");
  }
  if (!hw.throughput_by_dtype.empty()) {
    out << YAML::Key << "throughput_by_dtype" << YAML::Value << YAML::BeginMap;
    for (const auto& [dtype, t] : hw.throughput_by_dtype) {
      out << YAML::Key << dtype << YAML::Value << YAML::BeginMap;
      throughput("throughput_by_dtype." + dtype + ".", t);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return "# SPDX-License-Identifier: GPL-3.0-or-later\n" + std::string(out.c_str()) + "\n";
}

}  // namespace sprout::planner
