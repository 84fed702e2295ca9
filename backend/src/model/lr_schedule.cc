// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sprout::backend {

double learning_rate(const LrSchedule& s, long long step) {
  if (step < s.warmup_steps) {
    return s.peak_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  }
  const double min_lr = s.peak_lr * s.min_lr_fraction;
  const long long decay_steps = std::max(1LL, s.total_steps - s.warmup_steps);
  const double progress = std::clamp(static_cast<double>(step - s.warmup_steps) / decay_steps, 0.0, 1.0);
  return min_lr + 0.5 * (s.peak_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace sprout::backend
