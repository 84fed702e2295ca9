// SPDX-License-Identifier: GPL-3.0-or-later
// A cluster named on a command line or in the GUI, resolved (the search's).
#include "sprout/planner/io/cluster_overrides.h"

#include <gtest/gtest.h>

#include "sprout/planner/io/plan_loader.h"

namespace sprout::planner {
namespace {

TEST(FindCluster, ResolvesProfilesAndDefaultsThePriceToTheHardwares) {
  const Cluster c = find_cluster({.hardware = "a800", .gpus = 192, .region = "cn-north"});
  EXPECT_EQ(c.hardware.name, "a800");
  EXPECT_EQ(c.gpus, 192);
  EXPECT_EQ(c.region.name, "cn-north");
  EXPECT_EQ(c.price_usd_per_gpu_hour, find_hardware_profile("a800").price_usd_per_gpu_hour);
  EXPECT_EQ(c.power_model, PowerModel::kTdp);
  const Cluster priced = find_cluster({.hardware = "a800",
                                       .gpus = 8,
                                       .region = "france",
                                       .price_usd_per_gpu_hour = 2.5,
                                       .power_model = PowerModel::kTypical});
  EXPECT_EQ(priced.price_usd_per_gpu_hour, 2.5);
  EXPECT_EQ(priced.power_model, PowerModel::kTypical);
}

TEST(FindCluster, MissingOrUnknownPartsAreInputErrors) {
  try {
    find_cluster({.gpus = 8, .region = "france"});
    FAIL() << "no error without hardware";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--hardware");
    EXPECT_EQ(e.field(), "hardware");
  }
  EXPECT_THROW(find_cluster({.hardware = "a800", .region = "france"}), InputError);
  EXPECT_THROW(find_cluster({.hardware = "no-such-gpu", .gpus = 8, .region = "france"}), InputError);
}

}  // namespace
}  // namespace sprout::planner
