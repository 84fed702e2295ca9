// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/run_timeline.h"

#include "carbon/calendar_index.h"
#include "run/run_walker.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::simulator {

const char* to_string(RunEventKind kind) { return planner::EnumNames<RunEventKind>::name(kind); }

std::uint64_t trial_seed(std::uint64_t seed, long long trial) {
  // Output `trial` of SplitMix64 seeded with `seed`: decorrelates neighbouring trials.
  return planner::splitmix64_output(seed, static_cast<std::uint64_t>(trial));
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
      events.push_back(
          {RunEventKind::kTraining, stage, t, t + static_cast<double>(segments) * (work_s + commit_s), segments});
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

RunTimeline simulate_timeline(const RunModel& model, const RunCalendar& calendar, std::uint64_t seed, long long trial) {
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
