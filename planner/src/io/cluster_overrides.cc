// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/io/cluster_overrides.h"

#include "sprout/planner/io/plan_loader.h"

namespace sprout::planner {
namespace {

template <class T>
const T& required(const std::optional<T>& value, const char* flag, const char* field) {
  if (!value) throw InputError({flag, 0, 0}, field, "missing (required)");
  return *value;
}

}  // namespace

Cluster find_cluster(const ClusterOverrides& named) {
  Cluster c;
  c.hardware = find_hardware_profile(required(named.hardware, "--hardware", "hardware"));
  c.gpus = required(named.gpus, "--gpus", "gpus");
  c.region = find_region_profile(required(named.region, "--region", "region"));
  c.price_usd_per_gpu_hour = named.price_usd_per_gpu_hour.value_or(c.hardware.price_usd_per_gpu_hour);
  c.power_model = named.power_model.value_or(PowerModel::kTdp);
  return c;
}

}  // namespace sprout::planner
