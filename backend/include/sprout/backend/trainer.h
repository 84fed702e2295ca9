// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train --plan PLAN.yaml --out RUN_DIR`: trains every stage of a
// plan in order, growing the model between stages with MSG operators, and
// writes telemetry, summaries and checkpoints into RUN_DIR. Started once per
// rank (torchrun, srun, a Kubernetes Indexed Job), it trains data-parallel:
// docs/backend.md "Distributed training".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

// DDP's default gradient bucket size (torch.nn.parallel.DistributedDataParallel, bucket_cap_mb=25).
inline constexpr int64_t kDefaultBucketBytes = 25ll << 20;

struct TrainOptions {
  std::string plan_path;
  std::string run_dir;
  bool resume = false;         // continue from the newest complete checkpoint
  int threads = 0;             // intra-op threads; 0: the plan's, else this node's cores / its ranks
  std::string data;            // overrides the plan's training.data
  std::string init_from;       // a trained model the first stage starts from ("": the seed's random init)
  std::string dtype;           // overrides the plan's training.dtype (fp32 | bf16)
  std::string device;          // overrides the plan's training.device (auto | cpu | cuda)
  std::string zero1 = "plan";  // ZeRO-1 optimizer sharding: plan (parallel.distributed_optimizer) | on | off
  int64_t bucket_bytes = kDefaultBucketBytes;  // gradient all-reduce bucket size
  // Between two tensor/pipeline-parallel stages each rank builds its part of
  // the next model from the parts (on); off: through the full model on every
  // rank (the path when either stage is data-parallel), same numbers.
  bool shard_local_growth = true;
  long long stop_after_steps = 0;  // > 0: checkpoint and stop after this global step
  bool progress = true;            // progress lines on stderr (rank 0 only)
  // How this process meets the others; nothing: read from the environment.
  std::optional<Rendezvous> rendezvous;
};

struct TrainOutcome {
  long long global_step = 0;       // steps done when it returned
  long long total_steps = 0;       // of the whole plan
  bool finished = false;           // every stage done
  bool stopped_by_signal = false;  // SIGTERM/SIGUSR1 on any rank: checkpointed and stopped
};

// Throws planner::InputError for bad input (plan, data, run directory,
// checkpoint of another plan, rendezvous variables: exit 2) and
// std::runtime_error for failures while running (exit 1), among them
// CollectiveError when a peer rank died or did not answer in time.
TrainOutcome train(const TrainOptions& options);

}  // namespace sprout::backend
