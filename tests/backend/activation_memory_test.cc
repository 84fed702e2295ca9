// SPDX-License-Identifier: GPL-3.0-or-later
// Memory: the meter (device/memory_meter.h) counts LibTorch's CPU
// allocations and their peaks, and the activation peak a training step
// measures with it lies within 20% of the planner's activation-memory model
// of sprout-train (planner::ActivationFootprint, docs/formulas.md
// "Activation memory of sprout-train") for no, selective and full
// recomputation on three shapes (fp32, one process); the model states it
// counts are the trainer's tensors' bytes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "comm/communicator.h"
#include "data/shard_source.h"
#include "device/memory_meter.h"
#include "model/growth.h"
#include "sprout/planner/model/memory_model.h"
#include "step/training_step.h"
#include "test_paths.h"
#include "tiny_shapes.h"

namespace sprout::backend {
namespace {

using planner::Recompute;

TEST(MemoryMeter, CountsCpuTensorsAndTheirPeaks) {
  MemoryMeter meter(torch::kCPU);
  ASSERT_TRUE(meter.measures());
  const int64_t before = meter.begin_window();
  {
    const torch::Tensor a = torch::zeros({1000}, torch::kFloat32);  // 4000 bytes
    EXPECT_EQ(meter.allocated_bytes(), before + 4000);
    const torch::Tensor b = torch::zeros({500}, torch::kFloat64);  // 4000 more
    EXPECT_EQ(meter.window_peak_bytes(), before + 8000);
  }
  EXPECT_EQ(meter.allocated_bytes(), before);
  EXPECT_EQ(meter.window_peak_bytes(), before + 8000);
  // A new window forgets the old one's peak; the record peak keeps it.
  EXPECT_EQ(meter.begin_window(), before);
  EXPECT_EQ(meter.window_peak_bytes(), before);
  { const torch::Tensor c = torch::zeros({250}, torch::kFloat32); }
  EXPECT_EQ(meter.window_peak_bytes(), before + 1000);
  EXPECT_EQ(meter.take_peak_bytes(), before + 8000);
  EXPECT_EQ(meter.take_peak_bytes(), before);  // counting restarted
}

struct MemoryCase {
  planner::ModelShape shape;
  int micro_batch = 4;
};

// How the step runs: precision and dropout.
struct Execution {
  bool bf16 = false;
  double dropout = 0;
};

// A model and its optimizer after one training step.
struct SteppedModel {
  GptModel model;
  AdamWState optimizer;
  int64_t activation_peak_bytes = 0;
};

// One training step of `c` (one micro-batch) on one process, with `masks`
// when an MSG ramp is on.
SteppedModel step_once(const MemoryCase& c, const Execution& x, Recompute recompute, MemoryMeter& meter,
                       const GrowthMasks* masks = nullptr) {
  at::Generator gen = make_cpu_generator(21);
  SteppedModel out{make_gpt({c.shape, 0.02, x.dropout}, gen), {}, 0};
  GptModel& model = out.model;
  AdamWState& optimizer = out.optimizer;
  optimizer = make_adamw_state(model.parameters());
  const std::string dir = sprout::test::make_temp_dir("activation-memory");
  std::vector<uint32_t> tokens(50000);
  std::mt19937 random(21);
  for (uint32_t& t : tokens) t = static_cast<uint32_t>(random() % static_cast<uint32_t>(c.shape.vocab));
  for (const char* name : {"/train.bin", "/val.bin"}) {
    write_token_shard(dir + name, tokens, static_cast<uint32_t>(c.shape.vocab));
  }
  TrainingData data;
  data.source = std::make_unique<ShardTokenSource>(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 21,
                                                   c.shape.seq_len);
  StepSpec spec;
  spec.data = &data;
  spec.seq_len = c.shape.seq_len;
  spec.micro_batch = c.micro_batch;
  spec.accumulation = 1;
  spec.lr = 1e-3;
  spec.bf16 = x.bf16;
  spec.recompute = recompute;
  spec.memory = &meter;
  SingleProcessCommunicator comm;
  out.activation_peak_bytes = train_step(model, optimizer, AdamWSettings{}, masks, spec, comm).activation_peak_bytes;
  return out;
}

int64_t measured_activation_peak(const MemoryCase& c, const Execution& x, Recompute recompute, MemoryMeter& meter) {
  return step_once(c, x, recompute, meter).activation_peak_bytes;
}

planner::ModelShape shape(int layers, int hidden, int heads, int seq_len,
                          planner::Activation act = planner::Activation::kGelu, int kv_heads = 0) {
  planner::ModelShape s = test::tiny_shape(layers, hidden, heads, 0, act, kv_heads);
  s.vocab = 256;
  s.seq_len = seq_len;
  return s;
}

// Three shapes where activations dominate the allocator's noise (hidden,
// seq_len >= 128, micro-batch >= 4): GELU, a longer sequence (the s^2
// terms), SwiGLU with GQA. Measured/predicted was 0.94-1.03 in fp32, 0.94-1.02
// with bf16 autocast, 0.94-0.99 with dropout in fp32 and 0.95-1.14 in bf16.
TEST(ActivationMemory, MeasuredPeakIsWithin20PercentOfThePlannersModel) {
  MemoryMeter meter(torch::kCPU);
  ASSERT_TRUE(meter.measures());
  const std::vector<MemoryCase> cases = {{shape(2, 128, 4, 128), 4},
                                         {shape(3, 192, 6, 256), 4},
                                         {shape(2, 256, 8, 128, planner::Activation::kSwiglu, 4), 8}};
  for (const Execution& x : {Execution{false, 0}, Execution{true, 0}, Execution{false, 0.1}, Execution{true, 0.1}}) {
    const auto footprint = planner::sprout_train_footprint(x.bf16 ? "bf16" : "fp32");
    for (const MemoryCase& c : cases) {
      for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
        planner::ParallelLayout layout;
        layout.micro_batch = c.micro_batch;
        layout.recompute = rc;
        const double predicted = planner::activation_bytes_per_gpu(c.shape, layout, planner::AttentionKernel::kStandard,
                                                                   x.dropout, 1, footprint);
        const double ratio = static_cast<double>(measured_activation_peak(c, x, rc, meter)) / predicted;
        const std::string what = fmt::format("{} dropout {} hidden {} seq_len {} {}", x.bf16 ? "bf16" : "fp32",
                                             x.dropout, c.shape.hidden, c.shape.seq_len, planner::to_string(rc));
        EXPECT_GE(ratio, 0.8) << what;
        EXPECT_LE(ratio, 1.2) << what;
      }
    }
  }
}

// During the MSG ramp after a width growth the masked LayerNorms keep their
// centred and normalised inputs and bf16 autocast promotes the masked FFN
// activations to fp32 (planner::width_ramp_activation_bytes): the peak of a
// step with the masks on lies within 20% of the planner's activations plus
// that term (GELU and SwiGLU with GQA; without and with selective
// recomputation). Measured / predicted was 0.94-0.95 in fp32, 0.98-1.05 in
// bf16, where the measured peak is 1.3-1.6x the steady prediction.
TEST(ActivationMemory, AWidthRampsPeakIsWithin20PercentOfThePlannersModel) {
  MemoryMeter meter(torch::kCPU);
  ASSERT_TRUE(meter.measures());
  struct Growth {
    planner::ModelShape from, to;
    int micro_batch;
  };
  const std::vector<Growth> growths = {{shape(2, 128, 4, 128), shape(2, 256, 8, 128), 8},
                                       {shape(2, 128, 4, 128, planner::Activation::kSwiglu, 2),
                                        shape(2, 256, 8, 128, planner::Activation::kSwiglu, 4), 8}};
  for (bool bf16 : {false, true}) {
    const auto footprint = planner::sprout_train_footprint(bf16 ? "bf16" : "fp32");
    for (const Growth& g : growths) {
      const GrowthMasks masks = make_growth_masks(make_growth_ramp(g.from, g.to, 20), torch::kCPU);
      for (Recompute rc : {Recompute::kNone, Recompute::kSelective}) {
        planner::ParallelLayout layout;
        layout.micro_batch = g.micro_batch;
        layout.recompute = rc;
        const double steady =
            planner::activation_bytes_per_gpu(g.to, layout, planner::AttentionKernel::kStandard, 0, 1, footprint);
        const double ramp = planner::width_ramp_activation_bytes(g.to, layout, 1, footprint);
        const MemoryCase c{g.to, g.micro_batch};
        const double measured =
            static_cast<double>(step_once(c, Execution{bf16, 0}, rc, meter, &masks).activation_peak_bytes);
        const std::string what = fmt::format("{} {} {}: measured {:.2f} MB, steady {:.2f} + ramp {:.2f} MB",
                                             bf16 ? "bf16" : "fp32", planner::to_string(g.to.activation),
                                             planner::to_string(rc), measured / 1e6, steady / 1e6, ramp / 1e6);
        EXPECT_GE(measured / (steady + ramp), 0.8) << what;
        EXPECT_LE(measured / (steady + ramp), 1.2) << what;
        // bf16's ramp is a third to a half of the steady activations (fp32's
        // a few percent): without the term the 20% would not hold.
        if (bf16) {
          EXPECT_GT(measured / steady, 1.2) << what;
        }
      }
    }
  }
}

// The model states the planner counts for sprout-train (16 bytes a
// parameter: fp32 weights and gradients, AdamW's two fp32 moments) are the
// bytes of the trainer's tensors after a step, in fp32 and under bf16
// autocast alike (autocast's bf16 weight copies are transients, counted
// with the activations).
TEST(ModelStates, TheTrainersTensorsAreWhatThePlannerCounts) {
  MemoryMeter meter(torch::kCPU);
  const MemoryCase c{shape(2, 128, 4, 64), 4};
  for (bool bf16 : {false, true}) {
    const SteppedModel stepped = step_once(c, Execution{bf16, 0}, Recompute::kNone, meter);
    double weights = 0, gradients = 0, moments = 0;
    for (const torch::Tensor& p : stepped.model.parameters()) {
      weights += static_cast<double>(p.nbytes());
      ASSERT_TRUE(p.grad().defined());
      gradients += static_cast<double>(p.grad().nbytes());
    }
    for (const AdamWMoments& m : stepped.optimizer.moments) {
      moments += static_cast<double>(m.exp_avg.nbytes() + m.exp_avg_sq.nbytes());
    }
    planner::ParallelLayout layout;
    layout.micro_batch = c.micro_batch;
    const auto planned =
        planner::memory_per_gpu(c.shape, layout, planner::AttentionKernel::kStandard, 0, 1, planner::HardwareProfile{},
                                planner::sprout_train_footprint(bf16 ? "bf16" : "fp32"));
    // The planner's GB back in bytes: equal up to the division's rounding.
    EXPECT_NEAR(weights, planned.weights_gb * 1e9, 1e-9 * weights) << (bf16 ? "bf16" : "fp32");
    EXPECT_NEAR(gradients, planned.gradients_gb * 1e9, 1e-9 * gradients) << (bf16 ? "bf16" : "fp32");
    EXPECT_NEAR(moments, planned.optimizer_gb * 1e9, 1e-9 * moments) << (bf16 ? "bf16" : "fp32");
  }
}

}  // namespace
}  // namespace sprout::backend
