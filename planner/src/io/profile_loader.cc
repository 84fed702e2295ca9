// SPDX-License-Identifier: GPL-3.0-or-later
// Hardware and region profiles: profiles/hardware/*.yaml, profiles/regions/*.yaml.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "sprout/planner/base/data_dirs.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {
namespace fs = std::filesystem;

namespace {

constexpr double kHuge = 1e12;

// A column of a table row: its key and allowed range.
struct Column {
  const char* key;
  double min, max;
};

// The rows of a table: a non-empty list (`expected` says of what), each
// row's fields named field[i].
std::vector<YamlFields> table_rows(const YAML::Node& node, const std::string& file, const std::string& field,
                                   const std::string& expected) {
  if (!node.IsSequence() || node.size() == 0) {
    throw InputError(location_of(node, file), field, "expected a non-empty list of " + expected);
  }
  std::vector<YamlFields> rows;
  for (size_t i = 0; i < node.size(); ++i) rows.emplace_back(node[i], file, field + "[" + std::to_string(i) + "]");
  return rows;
}

// A non-empty list of {x: X, y: Y} rows in increasing X (the efficiency
// tables, the trainer operations' costs by size).
std::vector<std::pair<double, double>> read_increasing_rows(const YAML::Node& node, const std::string& file,
                                                            const std::string& field, Column x, Column y) {
  std::vector<std::pair<double, double>> rows;
  for (YamlFields& row : table_rows(node, file, field, fmt::format("{{{}: X, {}: Y}}", x.key, y.key))) {
    const double xv = row.number(x.key, x.min, x.max);
    const double yv = row.number(y.key, y.min, y.max);
    row.finish();
    if (!rows.empty() && xv <= rows.back().first) {
      row.fail(x.key, fmt::format("rows must be in increasing {} order", x.key));
    }
    rows.emplace_back(xv, yv);
  }
  return rows;
}

std::vector<EfficiencyPoint> read_efficiency_table(const YAML::Node& node, const std::string& file,
                                                   const std::string& field) {
  std::vector<EfficiencyPoint> table;
  for (auto [flops, efficiency] : read_increasing_rows(node, file, field, {"flops", 1, 1e30}, {"efficiency", 1e-6, 1}))
    table.push_back({flops, efficiency});
  return table;
}

// [{m: M, n: N, k: K, efficiency: E}, ...], each shape once.
std::vector<BatchedGemmShape> read_batched_shapes(const YAML::Node& node, const std::string& file,
                                                  const std::string& field) {
  std::vector<BatchedGemmShape> shapes;
  for (YamlFields& row : table_rows(node, file, field, "{m: M, n: N, k: K, efficiency: E}")) {
    BatchedGemmShape s;
    s.m = row.number("m", 1, 1e9);
    s.n = row.number("n", 1, 1e9);
    s.k = row.number("k", 1, 1e9);
    s.efficiency = row.number("efficiency", 1e-6, 1);
    row.finish();
    for (const auto& earlier : shapes) {
      if (earlier.m == s.m && earlier.n == s.n && earlier.k == s.k) {
        row.fail_here(fmt::format("shape {} x {} x {} is listed twice", s.m, s.n, s.k));
      }
    }
    shapes.push_back(s);
  }
  return shapes;
}

const std::vector<std::string> kDtypes = {"fp32", "bf16"};

// One operation's costs: [{elements: E, ns: T}, ...], increasing in E.
std::vector<SizedCost> read_sized_costs(const YAML::Node& node, const YamlFields& parent, const std::string& op) {
  std::vector<SizedCost> costs;
  for (auto [elements, ns] :
       read_increasing_rows(node, parent.file(), parent.field_name(op), {"elements", 1, 1e18}, {"ns", 1e-6, 1e9}))
    costs.push_back({elements, ns});
  return costs;
}

// The keys of DtypeThroughput, in the profile's top level or in one entry of
// throughput_by_dtype (f names the mapping they are in).
DtypeThroughput read_throughput(YamlFields& f) {
  DtypeThroughput t;
  t.peak_tflops = f.number("peak_tflops", 1e-6, 1e6);
  t.gemm_efficiency = read_efficiency_table(f.child("gemm_efficiency"), f.file(), f.field_name("gemm_efficiency"));
  if (auto batched = f.optional_child("batched_gemm_efficiency")) {
    t.batched_gemm_efficiency = read_efficiency_table(*batched, f.file(), f.field_name("batched_gemm_efficiency"));
  }
  if (auto shapes = f.optional_child("batched_gemm_shapes")) {
    t.batched_gemm_shapes = read_batched_shapes(*shapes, f.file(), f.field_name("batched_gemm_shapes"));
  }
  t.memory_efficiency = f.number("memory_efficiency", 1e-3, 1.0);
  t.flash_attention_efficiency = f.number("flash_attention_efficiency", 1e-3, 1.0);
  if (auto ops = f.optional_child("trainer_ns_per_element")) {
    YamlFields of(*ops, f.file(), f.field_name("trainer_ns_per_element"));
    if (!ops->IsMap()) of.fail_here("expected a mapping of operation: [{elements, ns}, ...]");
    for (const std::string& op : kTrainerOps) {
      if (auto sizes = of.optional_child(op)) t.trainer_ns_per_element[op] = read_sized_costs(*sizes, of, op);
    }
    of.finish();
  }
  t.trainer_first_step_s = f.optional_number("trainer_first_step_s", 0, 1e4).value_or(0);
  return t;
}

void read_throughput_by_dtype(YamlFields& f, HardwareProfile& hw) {
  hw.dtype = f.optional_choice("dtype", kDtypes).value_or("");
  const std::optional<YAML::Node> node = f.optional_child("throughput_by_dtype");
  if (!node) return;
  if (!node->IsMap() || node->size() == 0) {
    f.fail("throughput_by_dtype", "expected a mapping of dtype (fp32 | bf16): throughput keys");
  }
  if (hw.dtype.empty()) f.fail("throughput_by_dtype", "needs `dtype`: the precision of the top-level throughput keys");
  YamlFields dtypes(*node, f.file(), "throughput_by_dtype");
  for (const auto& kv : *node) {
    const std::string dtype = kv.first.Scalar();
    if (std::find(kDtypes.begin(), kDtypes.end(), dtype) == kDtypes.end()) {
      dtypes.fail(dtype, "is not a dtype (fp32 | bf16)");
    }
    if (dtype == hw.dtype) dtypes.fail(dtype, "is the profile's own dtype (its top-level keys)");
    YamlFields entry(dtypes.child(dtype), f.file(), dtypes.field_name(dtype));
    hw.throughput_by_dtype[dtype] = read_throughput(entry);
    entry.finish();
  }
  dtypes.finish();
}

HardwareProfile parse_hardware_profile(const YAML::Node& root, const std::string& path) {
  YamlFields f(root, path, "");
  HardwareProfile hw;
  hw.source_file = path;
  hw.name = f.text("name");
  hw.description = f.optional_text("description").value_or("");
  hw.set_throughput(read_throughput(f));
  hw.hbm_gb = f.number("hbm_gb", 1e-3, 1e6);
  hw.hbm_gb_per_s = f.number("hbm_gb_per_s", 1e-3, 1e6);
  hw.memory_reserved_gb = f.number("memory_reserved_gb", 0, 1e6);
  hw.kernel_overhead_us = f.number("kernel_overhead_us", 0, 1e6);
  hw.fresh_memory_gb_per_s = f.optional_number("fresh_memory_gb_per_s", 1e-6, 1e6).value_or(0);
  hw.gpus_per_node = static_cast<int>(f.integer("gpus_per_node", 1, 1024));
  hw.intra_node_gb_per_s = f.number("intra_node_gb_per_s", 1e-6, 1e6);
  hw.intra_node_latency_us = f.number("intra_node_latency_us", 0, 1e6);
  hw.inter_node_gb_per_s = f.number("inter_node_gb_per_s", 1e-6, 1e6);
  hw.inter_node_latency_us = f.number("inter_node_latency_us", 0, 1e6);
  hw.tdp_w = f.number("tdp_w", 1e-3, 1e5);
  hw.typical_power_fraction = f.number("typical_power_fraction", 1e-3, 1.5);
  hw.idle_power_w = f.number("idle_power_w", 0, 1e5);
  hw.node_overhead_w = f.number("node_overhead_w", 0, 1e6);
  hw.embodied_kg_co2e_per_gpu = f.number("embodied_kg_co2e_per_gpu", 0, 1e6);
  hw.lifetime_years = f.number("lifetime_years", 1e-3, 100);
  hw.price_usd_per_gpu_hour = f.number("price_usd_per_gpu_hour", 0, 1e4);
  hw.checkpoint_write_gb_per_s = f.number("checkpoint_write_gb_per_s", 1e-6, kHuge);
  hw.restart_overhead_s = f.number("restart_overhead_s", 0, 1e7);
  hw.mtbf_gpu_hours = f.number("mtbf_gpu_hours", 1e-3, kHuge);
  hw.measured = f.optional_text("measured").value_or("");
  read_throughput_by_dtype(f, hw);
  f.finish();
  return hw;
}

}  // namespace

HardwareProfile load_hardware_profile(const std::string& path) {
  return parse_hardware_profile(load_yaml_file(path), path);
}

HardwareProfile load_hardware_profile_from_string(const std::string& yaml, const std::string& name) {
  return parse_hardware_profile(load_yaml_string(yaml, name), name);
}

RegionProfile load_region_profile(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path, "");
  RegionProfile r;
  r.source_file = path;
  r.name = f.text("name");
  r.description = f.optional_text("description").value_or("");
  r.grid_g_co2e_per_kwh = f.number("grid_g_co2e_per_kwh", 0, 1e4);
  r.pue = f.number("pue", 1.0, 5.0);
  if (auto trace = f.optional_text("carbon_trace_csv")) {
    fs::path p(*trace);
    if (p.is_relative()) p = fs::path(path).parent_path() / p;
    std::error_code ec;
    if (!fs::exists(p, ec))
      f.fail("carbon_trace_csv", (ec ? "path unusable: " + ec.message() : "file not found") + ": " + p.string());
    r.carbon_trace_csv = p.lexically_normal().string();
    r.carbon_trace_at = f.location_of("carbon_trace_csv");
  }
  f.finish();
  return r;
}

PriceList load_price_list(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path, "");
  PriceList list;
  list.source_file = path;
  list.name = f.text("name");
  list.date = f.text("date");
  list.source = f.text("source");
  YAML::Node prices = f.child("usd_per_gpu_hour");
  if (!prices.IsMap() || prices.size() == 0) {
    throw InputError(location_of(prices, path), "usd_per_gpu_hour",
                     "expected a mapping of hardware name: USD per GPU-hour");
  }
  YamlFields pf(prices, path, "usd_per_gpu_hour");
  for (const auto& kv : prices) {
    const std::string hw = kv.first.Scalar();
    list.usd_per_gpu_hour[hw] = pf.number(hw, 0, 1e4);
  }
  pf.finish();
  f.finish();
  return list;
}

std::vector<std::string> profile_search_dirs(const std::string& plan_file) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("SPROUT_PROFILES_DIR"); env && *env) dirs.emplace_back(env);
  if (!plan_file.empty()) {
    fs::path plan_dir = fs::absolute(fs::path(plan_file)).parent_path();
    dirs.push_back((plan_dir / "profiles").string());
    dirs.push_back((plan_dir.parent_path() / "profiles").string());
  }
  dirs.emplace_back("profiles");
  // Then sprout's own: installed, the build's source tree, XDG_DATA_DIRS.
  for (const auto& dir : data_dirs()) dirs.push_back((fs::path(dir) / "profiles").string());
  return dirs;
}

std::string resolve_profile(const std::string& name_or_path, const std::string& kind,
                            const std::vector<std::string>& search_dirs, const SourceLocation& referenced_at,
                            const std::string& field) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".yaml") == 0);
  // The error_code forms: a name longer than the system allows (ENAMETOOLONG)
  // is a bad reference, not a std::filesystem_error escaping as exit 1.
  std::error_code ec;
  // A name as long as the one that once got here (5000 characters) is cut for the one-line error.
  const std::string shown = name_or_path.size() > 120 ? name_or_path.substr(0, 120) + "..." : name_or_path;
  if (is_path) {
    fs::path p(name_or_path);
    if (p.is_relative() && !referenced_at.file.empty() && !fs::exists(p, ec)) {
      p = fs::path(referenced_at.file).parent_path() / p;
    }
    if (fs::exists(p, ec)) return p.string();
    if (ec) throw InputError(referenced_at, field, kind + " profile path unusable: " + ec.message() + ": " + shown);
    throw InputError(referenced_at, field, kind + " profile file not found: " + shown);
  }
  std::string looked;
  for (const auto& dir : search_dirs) {
    fs::path candidate = fs::path(dir) / kind / (name_or_path + ".yaml");
    if (fs::exists(candidate, ec)) return candidate.string();
    looked += (looked.empty() ? "" : ", ") + (fs::path(dir) / kind).string();
  }
  throw InputError(referenced_at, field, "no " + kind + " profile named '" + shown + "' (looked in " + looked + ")");
}

HardwareProfile find_hardware_profile(const std::string& name_or_path, const std::string& plan_file) {
  return load_hardware_profile(
      resolve_profile(name_or_path, "hardware", profile_search_dirs(plan_file), {plan_file, 0, 0}, "hardware"));
}

RegionProfile find_region_profile(const std::string& name_or_path, const std::string& plan_file) {
  return load_region_profile(
      resolve_profile(name_or_path, "regions", profile_search_dirs(plan_file), {plan_file, 0, 0}, "region"));
}

std::vector<std::string> list_profiles(const std::string& kind, const std::string& plan_file) {
  std::vector<std::string> names;
  for (const auto& dir : profile_search_dirs(plan_file)) {
    fs::path d = fs::path(dir) / kind;
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      if (entry.path().extension() != ".yaml") continue;
      std::string name = entry.path().stem().string();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace sprout::planner
