// SPDX-License-Identifier: GPL-3.0-or-later
// One trial of the run model (docs/simulator.md "Run timeline"): stages in
// order, each an optional growth transition then its work in checkpoint
// segments. Failures arrive as a Poisson process in running time; a failure
// throws away the segment so far, costs a restart and the segment starts
// over. Carbon-aware pauses cut a segment short with a checkpoint and resume
// with a relaunch. Runs of identical segments that no failure or pause can
// touch are skipped arithmetically, so a trial costs O(failures + pauses +
// stages), not O(checkpoints).
//
// The Sink is told about every event (the timeline records them, the Monte
// Carlo ignores them at no cost).
#pragma once

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "carbon/calendar_index.h"
#include "sprout/simulator/run/run_model.h"
#include "sprout/simulator/run/run_timeline.h"

namespace sprout::simulator::internal {

struct StageOutcome {
  double start_s = 0;
  double end_s = 0;
  double paused_s = 0;
  double relaunch_s = 0;
  double restart_s = 0;
  double lost_s = 0;
  double checkpoint_s = 0;
  double billed_intensity_integral = 0;  // gCO2e/kWh x s over the time the GPUs are held
  int failures = 0;
  double wall_s() const { return end_s - start_s; }
  double billed_s() const { return wall_s() - paused_s; }
};

// The Monte Carlo's sink: no events. A sink has two calls: one event, and
// `segments` committed periods of `work_s` work then a `commit_s` write.
struct NoEvents {
  void event(RunEventKind, int, double, double) {}
  void committed(int, double, long long, double, double) {}
};

template <class Sink>
class TrialWalker {
 public:
  TrialWalker(const RunModel& model, const CalendarIndex& calendar, std::uint64_t seed, Sink& sink)
      : model_(model), calendar_(calendar), rng_(seed), sink_(sink) {}

  std::vector<StageOutcome> run() {
    std::vector<StageOutcome> out(model_.stages.size());
    next_failure_ = draw();
    for (size_t i = 0; i < model_.stages.size(); ++i) {
      stage_ = static_cast<int>(i);
      current_ = &out[i];
      const StageRunModel& s = model_.stages[i];
      current_->start_s = t_;
      paused_integral_ = 0;
      if (s.growth_transition_s > 0) run_atomic(s.growth_transition_s, s);
      run_work(s);
      current_->end_s = t_;
      current_->billed_intensity_integral = calendar_.intensity_integral(current_->start_s, t_) - paused_integral_;
    }
    return out;
  }

 private:
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();

  double draw() {
    if (model_.failure_rate_per_s <= 0) return kInfinity;
    // u in (0, 1], from the top 53 bits: portable across standard libraries.
    const double u = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
    return -std::log(u) / model_.failure_rate_per_s;
  }

  // A failure `next_failure_` seconds into the current attempt.
  void fail(double attempt_start, const StageRunModel& s) {
    t_ += next_failure_;
    current_->lost_s += next_failure_;
    if (t_ > attempt_start) sink_.event(RunEventKind::kLostWork, stage_, attempt_start, t_);
    sink_.event(RunEventKind::kFailure, stage_, t_, t_);
    ++current_->failures;
    sink_.event(RunEventKind::kRestart, stage_, t_, t_ + s.restart_s);
    t_ += s.restart_s;
    current_->restart_s += s.restart_s;
    next_failure_ = draw();
  }

  // Growth transitions cannot be split: they run through pauses and are
  // repeated whole after a failure.
  void run_atomic(double duration_s, const StageRunModel& s) {
    while (next_failure_ < duration_s) fail(t_, s);
    sink_.event(RunEventKind::kGrowthTransition, stage_, t_, t_ + duration_s);
    t_ += duration_s;
    next_failure_ -= duration_s;
  }

  // The job gives its GPUs back now (it stands at a commit point) and
  // relaunches at `resume`.
  void suspend_until(double resume, const StageRunModel& s) {
    sink_.event(RunEventKind::kPause, stage_, t_, resume);
    current_->paused_s += resume - t_;
    paused_integral_ += calendar_.intensity_integral(t_, resume);
    t_ = resume;
    sink_.event(RunEventKind::kRelaunch, stage_, t_, t_ + s.relaunch_s);
    t_ += s.relaunch_s;
    current_->relaunch_s += s.relaunch_s;
  }

  void wait_while_paused(const StageRunModel& s) {
    if (calendar_.has_pauses() && calendar_.next_pause(t_) <= t_) suspend_until(calendar_.next_resume(t_), s);
  }

  // Runs `work_s` of work ending in a commit of `commit_s`, through failures
  // and pauses (work cut short by a pause is committed by a checkpoint first).
  void run_segment(double work_s, double commit_s, const StageRunModel& s) {
    while (true) {
      wait_while_paused(s);
      const double pause_at = calendar_.next_pause(t_);
      double work = work_s, commit = commit_s;
      const bool cut = work_s + commit_s > pause_at - t_;
      if (cut) {
        commit = s.checkpoint_write_s;
        work = pause_at - t_ - commit;
        if (work <= 0) {  // no time for useful work before the pause
          suspend_until(calendar_.next_resume(pause_at), s);
          continue;
        }
      }
      if (next_failure_ < work + commit) {
        fail(t_, s);
        continue;
      }
      commit_work(work, commit);
      next_failure_ -= work + commit;
      if (!cut) return;
      work_s -= work;
    }
  }

  void commit_work(double work, double commit, long long segments = 1) {
    sink_.committed(stage_, t_, segments, work, commit);
    current_->checkpoint_s += static_cast<double>(segments) * commit;
    t_ += static_cast<double>(segments) * (work + commit);
  }

  // The stage's work in segments of `interval` work plus a checkpoint write;
  // the last, shorter one ends with the stage's end commit.
  void run_work(const StageRunModel& s) {
    const double work = s.work_s();
    const double interval = s.checkpoint_interval_s;
    if (!(interval > 0)) {  // continuous checkpointing: failures lose nothing
      run_continuous(work, s);
      return;
    }
    const long long full =
        std::isfinite(interval) && interval < work ? static_cast<long long>(std::ceil(work / interval)) - 1 : 0;
    const double length = interval + s.checkpoint_write_s;
    for (long long left = full; left > 0;) {
      // Segments that neither a failure nor a pause can reach: skip at once.
      const double fit = std::min({next_failure_ / length, (calendar_.next_pause(t_) - t_) / length, 1e18});
      const long long n = std::min(left, static_cast<long long>(std::floor(fit)));
      if (n > 0) {
        commit_work(interval, s.checkpoint_write_s, n);
        next_failure_ -= static_cast<double>(n) * length;
        left -= n;
      } else {
        run_segment(interval, s.checkpoint_write_s, s);
        --left;
      }
    }
    run_segment(full > 0 ? work - static_cast<double>(full) * interval : work, s.end_checkpoint_s, s);
  }

  void run_continuous(double work, const StageRunModel& s) {
    while (work > 0) {
      wait_while_paused(s);
      const double run = std::min({work, calendar_.next_pause(t_) - t_, next_failure_});
      commit_work(run, 0);
      work -= run;
      next_failure_ -= run;
      if (work > 0 && next_failure_ <= 0) {
        next_failure_ = 0;
        fail(t_, s);
      }
    }
    if (s.end_checkpoint_s > 0) run_segment(0, s.end_checkpoint_s, s);
  }

  const RunModel& model_;
  const CalendarIndex& calendar_;
  std::mt19937_64 rng_;
  Sink& sink_;
  double t_ = 0;
  double next_failure_ = kInfinity;
  double paused_integral_ = 0;
  int stage_ = 0;
  StageOutcome* current_ = nullptr;
};

}  // namespace sprout::simulator::internal
