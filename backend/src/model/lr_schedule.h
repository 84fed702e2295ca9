// SPDX-License-Identifier: GPL-3.0-or-later
// Per-stage learning rate: linear warm-up, then cosine decay to a floor
// (GPT-3, Brown et al. 2020, section B; FLM-101B restarts it per stage).
#pragma once

namespace sprout::backend {

struct LrSchedule {
  double peak_lr = 0;
  long long total_steps = 1;  // of the stage
  long long warmup_steps = 0;
  double min_lr_fraction = 0.1;
};

// lr for optimizer step `step` (0-based within the stage).
double learning_rate(const LrSchedule& schedule, long long step);

}  // namespace sprout::backend
