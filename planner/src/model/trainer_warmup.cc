// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/trainer_warmup.h"

#include "sprout/planner/model/memory_model.h"

namespace sprout::planner::internal {

double trainer_step_bytes(const StageWorkload& w, int micro_batches, const std::string& dtype) {
  const double activations =
      activation_bytes_per_gpu(w.shape, w.layout, w.attention, w.dropout, micro_batches, sprout_train_footprint(dtype));
  constexpr double kFp32Bytes = 4;
  return activations + kFp32Bytes * stage_parameters_per_gpu(w.shape, w.layout);
}

double trainer_warmup_seconds(const HardwareProfile& hw, bool starts_process, double fresh_bytes) {
  const double one_time = starts_process ? hw.trainer_first_step_s : 0;
  const double mapping = hw.fresh_memory_gb_per_s > 0 ? fresh_bytes / (hw.fresh_memory_gb_per_s * 1e9) : 0;
  return one_time + mapping;
}

}  // namespace sprout::planner::internal
