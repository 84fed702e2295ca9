// SPDX-License-Identifier: GPL-3.0-or-later
// One simulated run, event by event: what the GUI draws as the run timeline
// (stages, growth transitions, checkpoints, failures and their lost work,
// restarts, carbon-aware pauses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/simulator/carbon/run_calendar.h"
#include "sprout/simulator/run/run_model.h"

namespace sprout::simulator {

enum class RunEventKind {
  kTraining,          // committed training and evaluation work
  kCheckpoint,        // checkpoint write that committed the work before it
  kGrowthTransition,  // save, grow and reload between stages (planner::growth_transition_seconds)
  kLostWork,          // work (or a write) a failure threw away
  kFailure,           // the interruption itself (start_s == end_s)
  kRestart,           // detection, rescheduling and reload after a failure
  kPause,             // suspended in carbon-intensive hours
  kRelaunch,          // resuming after a pause
};
const char* to_string(RunEventKind kind);

}  // namespace sprout::simulator

namespace sprout::planner {
template <>
struct EnumNameTable<simulator::RunEventKind> {
  using Kind = simulator::RunEventKind;
  static constexpr EnumName<Kind> entries[] = {
      {Kind::kTraining, "training"},  {Kind::kCheckpoint, "checkpoint"}, {Kind::kGrowthTransition, "growth_transition"},
      {Kind::kLostWork, "lost_work"}, {Kind::kFailure, "failure"},       {Kind::kRestart, "restart"},
      {Kind::kPause, "pause"},        {Kind::kRelaunch, "relaunch"}};
};
}  // namespace sprout::planner

namespace sprout::simulator {

struct RunEvent {
  RunEventKind kind = RunEventKind::kTraining;
  int stage = 0;
  double start_s = 0;  // seconds since the run start
  double end_s = 0;
  // A training span with segments > 1 stands for that many identical periods
  // of work then checkpoint write (listed one by one unless there are very
  // many); its checkpoints are not listed separately then.
  long long segments = 1;
};

struct StageSpan {
  std::string name;
  double start_s = 0;  // growth transition included
  double end_s = 0;
  int failures = 0;
};

struct RunTimeline {
  planner::UnixSeconds start_unix_s = 0;
  std::uint64_t seed = 0;
  long long trial = 0;
  double total_s = 0;
  int failures = 0;
  std::vector<StageSpan> stages;
  std::vector<RunEvent> events;  // in time order
};

// Trial `trial` of the Monte Carlo with this seed, replayed with every event.
RunTimeline simulate_timeline(const RunModel& model, const RunCalendar& calendar, std::uint64_t seed, long long trial);

// The random stream of one trial (SplitMix64 of the seed and trial index), so
// a trial can be replayed alone and results do not depend on trial order.
std::uint64_t trial_seed(std::uint64_t seed, long long trial);

}  // namespace sprout::simulator
