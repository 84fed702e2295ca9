// SPDX-License-Identifier: GPL-3.0-or-later
// Issue #3 targets: a full layout search for one 101B stage on 192 GPUs under
// 20 ms, and one layout evaluation in microseconds (Calculon, in Python,
// manages ~350 evaluations/s on this machine).
#include <benchmark/benchmark.h>

#include "sprout/planner/cost/layout_search.h"
#include "sprout/planner/io/plan_loader.h"

namespace {

using namespace sprout::planner;

struct Flm101B {
  Plan plan = load_plan(std::string(SPROUT_SOURCE_DIR) + "/plans/flm-101b.yaml");
  StageWorkload work() const {
    StageWorkload w;
    const Stage& st = plan.stages.back();
    w.shape = st.shape;
    w.dropout = st.dropout;
    w.attention = st.attention;
    w.global_batch_sequences = 2104;
    return w;
  }
};

void BM_LayoutSearch101BOn192Gpus(benchmark::State& state) {
  Flm101B f;
  StageWorkload w = f.work();
  LayoutSearchOptions opts;
  opts.max_micro_batch = 16;
  opts.max_interleave = 4;
  long long evaluated = 0;
  for (auto _ : state) {
    auto result = search_layouts(w, 192, f.plan.cluster.hardware, opts);
    evaluated = result.evaluated;
    benchmark::DoNotOptimize(result.ranked.data());
  }
  state.counters["layouts"] = static_cast<double>(evaluated);
  state.counters["time_per_layout"] = benchmark::Counter(static_cast<double>(evaluated) * state.iterations(),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LayoutSearch101BOn192Gpus)->Unit(benchmark::kMillisecond);

void BM_OneLayoutEvaluation(benchmark::State& state) {
  Flm101B f;
  StageWorkload w = f.work();
  w.layout = *f.plan.stages.back().parallel;
  for (auto _ : state) {
    IterationEstimate est = estimate_iteration(w, f.plan.cluster.hardware);
    MemoryBreakdown mem =
        memory_per_gpu(w.shape, w.layout, w.attention, w.dropout, est.micro_batches, f.plan.cluster.hardware);
    benchmark::DoNotOptimize(est.iteration_s);
    benchmark::DoNotOptimize(mem);
  }
  state.counters["evaluations_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OneLayoutEvaluation)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
