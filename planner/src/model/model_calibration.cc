// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/model_calibration.h"

#include <fmt/format.h>

namespace sprout::planner {

const std::vector<CalibrationConstant>& calibration_constants() {
  static const std::vector<CalibrationConstant> constants = {
      {"gemm_efficiency_scale", &ModelCalibration::gemm_efficiency_scale, 0.6, 1.3, 1.0, false,
       "fitted: GEMMs inside a training step against the profiles' cuBLAS microbenchmark tables"},
      {"memory_efficiency_scale", &ModelCalibration::memory_efficiency_scale, 0.5, 1.2, 1.0, false,
       "chosen: the profiles' memory_efficiency (75-90% of HBM bandwidth in microbenchmarks) as measured"},
      {"kernels_per_layer", &ModelCalibration::kernels_per_layer, 40, 40, 40, false,
       "chosen: kernels of one Megatron-LM layer, forward and backward (matmuls, norms, activation, softmax, "
       "dropout, residuals)"},
      {"network_efficiency", &ModelCalibration::network_efficiency, 0.4, 1.0, 1.0, true,
       "fitted: collectives against the profiles' nccl-tests bus bandwidth"},
      {"other_framework_efficiency", &ModelCalibration::other_framework_efficiency, 0.3, 1.2, 1.0, true,
       "fitted: runs of DeepSpeed-based and other non-Megatron-LM codebases against the Megatron-LM kernels"},
  };
  return constants;
}

ModelCalibration prior_calibration() {
  ModelCalibration c;
  for (const CalibrationConstant& k : calibration_constants()) c.*k.field = k.prior;
  return c;
}

std::string describe(const ModelCalibration& c) {
  std::string out;
  for (const CalibrationConstant& k : calibration_constants()) {
    out += fmt::format("{}{}={:.4g}", out.empty() ? "" : " ", k.name, c.*k.field);
  }
  return out;
}

}  // namespace sprout::planner
