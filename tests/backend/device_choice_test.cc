// SPDX-License-Identifier: GPL-3.0-or-later
// Where a rank trains (run/device_choice.h), decided without a GPU: the
// CUDA device count is an argument.
#include "run/device_choice.h"

#include <gtest/gtest.h>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

Rendezvous node(int world_size, int local_rank, int local_world_size) {
  Rendezvous r;
  r.world_size = world_size;
  r.local_rank = local_rank;
  r.local_world_size = local_world_size;
  return r;
}

std::string device_error(const std::string& requested, const Rendezvous& r, int cuda_devices) {
  try {
    resolve_device({requested}, r, cuda_devices);
  } catch (const planner::InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ResolveDevice, CpuIsTheCpu) {
  EXPECT_EQ(resolve_device({"cpu"}, node(1, 0, 1), 0), torch::Device(torch::kCPU));
  EXPECT_EQ(resolve_device({"cpu"}, node(2, 1, 2), 2), torch::Device(torch::kCPU));  // Gloo runs several CPU ranks
}

TEST(ResolveDevice, AutoTakesAGpuPerLocalRankOrTheCpu) {
  EXPECT_EQ(resolve_device({"auto"}, node(1, 0, 1), 0), torch::Device(torch::kCPU));
  EXPECT_EQ(resolve_device({"auto"}, node(1, 0, 1), 2), torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(resolve_device({"auto"}, node(1, 0, 3), 2), torch::Device(torch::kCPU));  // fewer GPUs than local ranks
}

TEST(ResolveDevice, AutoOnThisMachineWithoutCudaIsTheCpu) {
  if (visible_cuda_devices() > 0) GTEST_SKIP() << "this machine has CUDA";
  EXPECT_EQ(resolve_device({"auto"}, node(1, 0, 1)), torch::Device(torch::kCPU));
}

TEST(ResolveDevice, CudaWithoutEnoughGpusIsBadInput) {
  EXPECT_EQ(device_error("cuda", node(1, 0, 1), 0),
            "--device: device: cuda requested but no CUDA device/libtorch is available");
  EXPECT_EQ(device_error("cuda", node(2, 0, 2), 1),
            "--device: device: cuda: 2 ranks on this node need 2 GPUs, it has 1");
  EXPECT_EQ(resolve_device({"cuda"}, node(1, 0, 1), 1), torch::Device(torch::kCUDA, 0));
}

TEST(ResolveDevice, SeveralRanksNeedCollectivesForTheDevice) {
#ifdef SPROUT_CUDA
  EXPECT_EQ(resolve_device({"cuda"}, node(2, 1, 2), 2), torch::Device(torch::kCUDA, 1));
#else
  EXPECT_NE(device_error("cuda", node(2, 1, 2), 2).find("cuda:1: this build has no collectives for it"),
            std::string::npos);
#endif
}

TEST(ChooseThreadCount, TheOptionThenThePlanThenTheNodesCoresPerRank) {
  EXPECT_EQ(choose_thread_count(3, 8, 2, 16), 3);
  EXPECT_EQ(choose_thread_count(0, 8, 2, 16), 8);
  EXPECT_EQ(choose_thread_count(0, 0, 4, 16), 4);
  EXPECT_EQ(choose_thread_count(0, 0, 4, 2), 1);  // at least one
  EXPECT_GE(usable_cores(), 1);
}

}  // namespace
}  // namespace sprout::backend
