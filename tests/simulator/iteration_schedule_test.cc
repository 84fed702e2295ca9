// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/iteration/iteration_schedule.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/pipeline_order.h"
#include "test_paths.h"
#include "uniform_iteration.h"

namespace sprout::simulator {
namespace {

using sprout::simulator::test_support::uniform;

TEST(PipelineOrder, EveryOpOnceAndForwardBeforeBackward) {
  for (auto [p, v, m] : {std::tuple{4, 1, 8}, {4, 2, 8}, {4, 2, 4}, {3, 3, 7}, {4, 2, 6}}) {
    for (int rank = 0; rank < p; ++rank) {
      auto order = planner::pipeline_order(rank, p, v, m);
      ASSERT_EQ(order.size(), static_cast<size_t>(2 * v * m));
      std::set<std::tuple<bool, int, int>> seen;
      for (const auto& op : order) {
        EXPECT_TRUE(seen.insert({op.forward, op.chunk, op.micro_batch}).second);
        if (!op.forward) {
          EXPECT_TRUE(seen.count({true, op.chunk, op.micro_batch}));
        }
      }
    }
  }
  // 1F1B on the first of 4 ranks: 3 warm-up forwards (Narayanan et al. 2021, fig. 4).
  auto first = planner::pipeline_order(0, 4, 1, 8);
  EXPECT_TRUE(first[0].forward && first[1].forward && first[2].forward && first[3].forward);
  EXPECT_FALSE(first[4].forward);
  EXPECT_EQ(first[4].micro_batch, 0);
}

// NCCL pairs a send with a receive by their order between two ranks, not by
// a tag: the trainer's pipeline is correct over NCCL only if, for every
// ordered pair of ranks, the messages (activations and gradients together)
// are sent in the order the receiver's ops need them. Gloo is run the same
// way (backend/src/step/parallel_step.cc tags messages by that order), so the
// end-to-end tests check it too; this checks every schedule shape.
TEST(PipelineOrder, MessagesBetweenTwoRanksAreSentInTheOrderTheyAreNeeded) {
  int shapes = 0;
  for (int p : {2, 3, 4, 8}) {
    for (int v : {1, 2, 3, 4}) {
      for (int m : {p, 2 * p, 3 * p, 4 * p, p + 1, 2 * p + 1}) {
        if (v > 1 && m % p != 0) continue;  // interleaving needs whole groups of p
        ++shapes;
        using Message = std::tuple<bool, int, int>;  // forward?, micro-batch, receiving virtual stage
        std::map<std::pair<int, int>, std::vector<Message>> sent, needed;  // (from, to) -> in order
        for (int r = 0; r < p; ++r) {
          for (const auto& op : planner::pipeline_order(r, p, v, m)) {
            const int stage = op.chunk * p + r, last = p * v - 1;
            const int next = (r + 1) % p, previous = (r + p - 1) % p;
            if (op.forward) {
              if (stage > 0) needed[{previous, r}].push_back({true, op.micro_batch, stage});
              if (stage < last) sent[{r, next}].push_back({true, op.micro_batch, stage + 1});
            } else {
              if (stage < last) needed[{next, r}].push_back({false, op.micro_batch, stage});
              if (stage > 0) sent[{r, previous}].push_back({false, op.micro_batch, stage - 1});
            }
          }
        }
        EXPECT_EQ(sent.size(), needed.size()) << p << " " << v << " " << m;
        for (const auto& [pair, messages] : sent) {
          EXPECT_EQ(messages, needed[pair])
              << "p " << p << " v " << v << " m " << m << ": " << pair.first << " -> " << pair.second;
        }
      }
    }
  }
  EXPECT_EQ(shapes, 72);
}

TEST(IterationSchedule, UniformOneF1BBubbleIsPMinusOneOverM) {
  for (auto [p, m] : {std::pair{2, 2}, {4, 8}, {4, 64}, {8, 32}, {3, 10}}) {
    const IterationSchedule s = simulate_iteration(uniform(p, m, 1));
    const double expected = (p - 1.0) / m;
    EXPECT_NEAR(s.bubble_fraction, expected, 0.01 * expected) << p << " " << m;
    // Makespan (m + p - 1)(tf + tb).
    EXPECT_NEAR(s.iteration_s, (m + p - 1) * 3.0, 1e-9);
    EXPECT_EQ(s.schedule, PipelineSchedule::k1F1B);
  }
}

// Unequal stages (2/4/5/3 layers; the per-chunk times are the mean
// stage's): each stage's ops scale with its layers and the busiest stage
// paces the steady state. The planner's closed form (m - 1) max T + sum T
// is the flow-shop bound; the DAG's exact 1F1B schedule overlaps the
// busiest stage's first forward with the later stages' round trip, so it
// is at most one busiest-stage forward shorter.
TEST(IterationSchedule, UnevenStagesScaleTheirOpsAndTheBusiestPacesThePipeline) {
  for (int m : {4, 8, 32}) {
    IterationInputs in = uniform(4, m, 1);
    in.micro.layers_by_stage = {2, 4, 5, 3};
    const IterationSchedule s = simulate_iteration(in);
    const double mean = 3.5, busiest = 3.0 * 5 / mean, sum = 3.0 * 14 / mean, busiest_forward = 5 / mean;
    const double planner_s = (m - 1) * busiest + sum;
    EXPECT_LE(s.iteration_s, planner_s + 1e-9) << m;
    EXPECT_GE(s.iteration_s, planner_s - busiest_forward - 1e-9) << m;
    EXPECT_GT(s.iteration_s, (m + 3) * 3.0) << "slower than four equal 3.5-layer stages";
  }
  IterationInputs bad = uniform(4, 8, 1);
  bad.micro.layers_by_stage = {2, 4, 0, 3};
  EXPECT_THROW(simulate_iteration(bad), std::invalid_argument);
}

TEST(IterationSchedule, UniformInterleavedBubbleIsPMinusOneOverVM) {
  for (auto [p, m, v] : {std::tuple{4, 64, 2}, {4, 8, 2}, {4, 16, 4}, {2, 8, 3}, {8, 16, 2}}) {
    const IterationSchedule s = simulate_iteration(uniform(p, m, v));
    const double expected = (p - 1.0) / (v * m);
    EXPECT_NEAR(s.bubble_fraction, expected, 0.01 * expected) << p << " " << m << " " << v;
    EXPECT_EQ(s.schedule, PipelineSchedule::kInterleaved1F1B);
  }
}

// Replaying measured op times (sprout compare, pipeline_bubble.h). 1F1B on
// p = 2, m = 4, forward 1 s, backward 2 s: rank 1 waits for the first
// forward (1 s); rank 0 for the first backward (2 s) and at the end for the
// last one (1 s after its own B2): idle 3 s and 1 s of 12 s of ops, mean over
// the ranks 1/6 (the busiest-rank bubble stays (p - 1)/m = 1/4).
TEST(IterationSchedule, ReplaysEveryMeasuredOpAndAveragesTheRanksAsTheTrainerMeasures) {
  IterationInputs in = uniform(2, 4, 1);
  const IterationSchedule from_means = simulate_iteration(in);
  EXPECT_NEAR(from_means.mean_rank_bubble_fraction, 1.0 / 6, 1e-12);
  in.forward_s_by_op.assign(8, 1.0);
  in.backward_s_by_op.assign(8, 2.0);
  const IterationSchedule replayed = simulate_iteration(in);
  EXPECT_NEAR(replayed.mean_rank_bubble_fraction, 1.0 / 6, 1e-12);
  EXPECT_NEAR(replayed.bubble_fraction, 0.25, 1e-12);
  // The first forward of stage 0 (op 0) at half time, as on a CPU whose
  // neighbour idles: rank 1 waits 0.5 s, rank 0 still 3 s of 11.5 s.
  in.forward_s_by_op[0] = 0.5;
  EXPECT_NEAR(simulate_iteration(in).mean_rank_bubble_fraction, (3.0 / 11.5 + 0.5 / 12) / 2, 1e-12);
  // Op m + mb is micro-batch mb on virtual stage 1: a slow last forward on
  // rank 1 delays rank 0's final backward by as much.
  in.forward_s_by_op[0] = 1.0;
  in.forward_s_by_op[7] = 3.0;
  EXPECT_NEAR(simulate_iteration(in).mean_rank_bubble_fraction, (5.0 / 12 + 1.0 / 14) / 2, 1e-12);
  in.forward_s_by_op[7] = 1.0;
  // p2p calls block their rank: 0.5 s after stage 0's first forward (its
  // send) delays everything after it; rank 0 idles 3 s of 12, rank 1 1.5 s.
  in.forward_p2p_s_by_op.assign(8, 0.0);
  in.backward_p2p_s_by_op.assign(8, 0.0);
  in.forward_p2p_s_by_op[0] = 0.5;
  EXPECT_NEAR(simulate_iteration(in).mean_rank_bubble_fraction, (3.0 / 12 + 1.5 / 12) / 2, 1e-12);
  // After the last stage's last forward (no send of its own) they delay its
  // backward: rank 0 idles 3.5 s, rank 1 1 s.
  in.forward_p2p_s_by_op[0] = 0;
  in.forward_p2p_s_by_op[7] = 0.5;
  EXPECT_NEAR(simulate_iteration(in).mean_rank_bubble_fraction, (3.5 / 12 + 1.0 / 12) / 2, 1e-12);
  in.forward_s_by_op.pop_back();
  EXPECT_THROW(simulate_iteration(in), std::invalid_argument);
}

TEST(IterationSchedule, SingleStageHasNoBubbleAndSumsItsWork) {
  IterationInputs in = uniform(1, 5, 1);
  in.micro.optimizer_s = 0.25;
  const IterationSchedule s = simulate_iteration(in);
  EXPECT_DOUBLE_EQ(s.bubble_s, 0);
  EXPECT_NEAR(s.iteration_s, 5 * 3.0 + 0.25, 1e-12);
}

TEST(IterationSchedule, GradientReduceHidesBehindTheLastBackward) {
  IterationInputs in = uniform(1, 4, 1);
  in.gradient_buckets_per_chunk = 10;
  in.micro.dp_allreduce_s = 1.0;  // shorter than the last backward (2 s)
  in.micro.dp_overlap = true;
  const IterationSchedule hidden = simulate_iteration(in);
  // Only the last bucket (0.1 s) sticks out after the final backward.
  EXPECT_NEAR(hidden.breakdown.dp_comm_s, 0.1, 1e-9);
  in.micro.dp_overlap = false;
  const IterationSchedule exposed = simulate_iteration(in);
  EXPECT_NEAR(exposed.breakdown.dp_comm_s, 1.0, 1e-9);
  EXPECT_NEAR(exposed.iteration_s - hidden.iteration_s, 0.9, 1e-9);
  EXPECT_EQ(exposed.devices[0].communication.size(), 10u);
}

TEST(IterationSchedule, BreakdownSumsToTheIterationAndStreamsDoNotOverlap) {
  IterationInputs in = uniform(4, 16, 2);
  in.micro.p2p_s = 0.01;
  in.micro.forward_tp_comm_s = 0.05;
  in.micro.backward_tp_comm_s = 0.1;
  in.micro.last_stage_extra_s = 0.3;
  in.micro.first_stage_extra_s = 0.03;
  in.micro.dp_allreduce_s = 2;
  in.micro.dp_param_gather_s = 0.5;
  in.micro.optimizer_s = 0.1;
  in.gradient_buckets_per_chunk = 5;
  const IterationSchedule s = simulate_iteration(in);
  EXPECT_NEAR(s.breakdown.total_s(), s.iteration_s, 1e-9);
  EXPECT_EQ(s.busiest_stage, 3);  // the logits rank
  for (const DeviceTimeline& d : s.devices) {
    for (const auto* stream : {&d.compute, &d.communication}) {
      for (size_t i = 1; i < stream->size(); ++i) {
        EXPECT_GE((*stream)[i].start_s, (*stream)[i - 1].end_s - 1e-9);
      }
    }
    EXPECT_EQ(d.compute.back().kind, TaskKind::kOptimizer);
    EXPECT_EQ(d.communication.back().kind, TaskKind::kParameterGather);
  }
  int critical = 0;
  for (const DeviceTimeline& d : s.devices) {
    for (const auto& t : d.compute) critical += t.critical;
  }
  EXPECT_GT(critical, 2 * 16);  // at least the last rank's ops
  EXPECT_GT(s.exposed_comm_s, s.breakdown.tp_comm_s);
}

TEST(IterationSchedule, RejectsDegenerateInputs) {
  EXPECT_THROW(simulate_iteration(uniform(0, 4, 1)), std::invalid_argument);
  EXPECT_THROW(simulate_iteration(uniform(2, 0, 1)), std::invalid_argument);
  IterationInputs neg = uniform(2, 4, 1);
  neg.micro.p2p_s = -1;
  EXPECT_THROW(simulate_iteration(neg), std::invalid_argument);
}

// The planner's analytic iteration time and the DAG's agree within 5% on the
// FLM-101B layouts (the requirement for `sprout plan --simulate-iteration`).
TEST(IterationSchedule, AgreesWithThePlannerOnFlm101bLayouts) {
  const planner::Plan plan = planner::load_plan(test::source_path("plans/flm-101b.yaml"));
  planner::EstimateOptions analytic_options;
  analytic_options.with_scratch_baseline = false;
  const planner::PlanEstimate analytic = planner::estimate_plan(plan, analytic_options);
  planner::EstimateOptions dag_options = analytic_options;
  dag_options.refine_iteration = simulated_iteration_estimate;
  const planner::PlanEstimate dag = planner::estimate_plan(plan, dag_options);
  ASSERT_EQ(dag.stages.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const double a = analytic.stages[i].iteration.iteration_s;
    const double d = dag.stages[i].iteration.iteration_s;
    EXPECT_NEAR(d / a, 1.0, 0.05) << analytic.stages[i].name << " analytic " << a << " dag " << d;
    EXPECT_NE(d, a);  // the DAG really ran
    EXPECT_NEAR(dag.stages[i].iteration.breakdown.total_s(), d, 1e-9);
  }
  EXPECT_NEAR(dag.total.seconds / analytic.total.seconds, 1.0, 0.05);
}

}  // namespace
}  // namespace sprout::simulator
