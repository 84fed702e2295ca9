// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/run_timeline.h"

#include "carbon/calendar_index.h"
#include "run/run_walker.h"

namespace sprout::simulator {

const char* to_string(RunEventKind kind) {
  switch (kind) {
    case RunEventKind::kTraining: return "training";
    case RunEventKind::kCheckpoint: return "checkpoint";
    case RunEventKind::kGrowthTransition: return "growth_transition";
    case RunEventKind::kLostWork: return "lost_work";
    case RunEventKind::kFailure: return "failure";
    case RunEventKind::kRestart: return "restart";
    case RunEventKind::kPause: return "pause";
    case RunEventKind::kRelaunch: return "relaunch";
  }
  return "?";
}

std::uint64_t trial_seed(std::uint64_t seed, long long trial) {
  // SplitMix64 (Steele, Lea, Flood 2014): decorrelates neighbouring trials.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(trial) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

namespace {

// Periods beyond this many in one run of identical segments are drawn as a
// single span: a user-chosen one-second interval would otherwise list millions.
constexpr long long kMaxListedSegments = 2000;

struct RecordingSink {
  std::vector<RunEvent>& events;

  void event(RunEventKind kind, int stage, double start_s, double end_s) {
    events.push_back({kind, stage, start_s, end_s, 1});
  }
  void committed(int stage, double t, long long segments, double work_s, double commit_s) {
    if (segments > kMaxListedSegments) {
      events.push_back({RunEventKind::kTraining, stage, t,
                        t + static_cast<double>(segments) * (work_s + commit_s), segments});
      return;
    }
    for (long long i = 0; i < segments; ++i) {
      if (work_s > 0) event(RunEventKind::kTraining, stage, t, t + work_s);
      if (commit_s > 0) event(RunEventKind::kCheckpoint, stage, t + work_s, t + work_s + commit_s);
      t += work_s + commit_s;
    }
  }
};

}  // namespace

RunTimeline simulate_timeline(const RunModel& model, const RunCalendar& calendar, std::uint64_t seed,
                              long long trial) {
  RunTimeline out;
  out.start_unix_s = calendar.start_unix_s;
  out.seed = seed;
  out.trial = trial;
  const internal::CalendarIndex index(calendar);
  RecordingSink sink{out.events};
  internal::TrialWalker<RecordingSink> walker(model, index, trial_seed(seed, trial), sink);
  const std::vector<internal::StageOutcome> stages = walker.run();
  for (size_t i = 0; i < stages.size(); ++i) {
    out.stages.push_back({model.stages[i].name, stages[i].start_s, stages[i].end_s, stages[i].failures});
    out.failures += stages[i].failures;
  }
  out.total_s = stages.empty() ? 0 : stages.back().end_s;
  return out;
}

}  // namespace sprout::simulator
