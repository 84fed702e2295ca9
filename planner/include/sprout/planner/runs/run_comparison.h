// SPDX-License-Identifier: GPL-3.0-or-later
// Predicted versus actual (`sprout compare`, the GUI's run overlay): the
// planner's estimate of a plan next to what a sprout-train run of it did,
// stage by stage, also while the run is still going (a stage in progress is
// compared with the prediction for the tokens it has trained so far).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/loss/loss_model.h"
#include "sprout/planner/runs/run_record.h"

namespace sprout::planner {

struct PredictedActual {
  double predicted = 0;
  double actual = 0;
  double error_abs() const { return predicted - actual; }
  // (predicted - actual) / actual; 0 when nothing happened yet.
  double error_fraction() const { return actual != 0 ? predicted / actual - 1 : 0; }
};

struct StageComparison {
  std::string name;
  bool reached = false;  // the run has records of this stage
  bool complete = false;
  double fraction_done = 0;      // tokens trained / tokens planned
  double tokens = 0;             // trained so far
  PredictedActual wall_seconds;  // growth transition included
  PredictedActual tokens_per_s;
  PredictedActual tflops_per_gpu;  // model FLOPs, the planner's formula
  PredictedActual gpu_hours;
  PredictedActual cost_usd;
  PredictedActual energy_kwh;  // at the wall: measured or modelled device energy x PUE
  PredictedActual co2e_kg;
  // The most one rank held in a training step of the stage (its first step
  // aside: the stage's end logs rank_steady_memory_bytes), against the
  // planner's model states and activations of the busiest GPU, the
  // profile's reserve aside (the allocator does not see it). Only where the
  // run measured it; the total's is the largest stage's.
  std::optional<PredictedActual> peak_memory_gb;
  std::optional<double> final_train_loss;
  std::optional<double> final_val_loss;
};

// One point of the run's loss curve. (It was once called LossPoint, as
// loss_fit.h's point of a scaling-law fit: two classes of one name in one
// namespace broke the one-definition rule, and std::vector code instantiated
// for one was run on the other; AddressSanitizer found it.)
struct LossCurvePoint {
  double tokens = 0;                     // since the run started
  double loss = 0;                       // training loss logged at that point
  std::optional<double> val_loss;        // when the record is an evaluation
  std::optional<double> predicted_loss;  // from a loss model, when given
};

struct RunComparison {
  std::string plan_name;
  std::string run_dir;
  bool in_progress = false;
  int rank_count = 1;
  std::string energy_source;  // nvml | rapl | model (model: not a measurement)
  std::vector<StageComparison> stages;
  StageComparison total;
  std::vector<LossCurvePoint> loss_curve;
};

// The run must be of this plan (same stages and shapes; hardware, region and
// price may differ: the plan's are used). Throws InputError otherwise, or
// when the telemetry carries no times.
RunComparison compare_run(const Plan& plan, const PlanEstimate& estimate, const RunRecord& run,
                          const LossModel* loss_model = nullptr);

// Seconds each stage of the run took (growth into it included) and tokens it
// trained, from the telemetry's times (used by compare and calibration).
struct StageTiming {
  double seconds = 0;
  double tokens = 0;
  double energy_j = 0;
  bool complete = false;
};
std::vector<StageTiming> stage_timings(const RunRecord& run);

}  // namespace sprout::planner
