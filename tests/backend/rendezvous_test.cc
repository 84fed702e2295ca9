// SPDX-License-Identifier: GPL-3.0-or-later
// The rendezvous contract of docs/backend.md "Distributed training": what
// torchrun, srun and a Kubernetes Indexed Job set, as sprout-train reads it,
// including the environment `sprout export --target k8s` writes into its Job.
#include "sprout/backend/rendezvous.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "sprout/backend/process_setup.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/export/cluster_export.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {

using Env = std::map<std::string, std::string>;

EnvironmentLookup lookup(const Env& env) {
  return [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// Stands in for `scontrol show hostnames`, recording what it was asked.
struct FakeScontrol {
  std::string asked;
  NodeListFirstHost fn() {
    return [this](const std::string& list) {
      asked = list;
      return std::string("node07");
    };
  }
};

Rendezvous parse(const Env& env) {
  FakeScontrol scontrol;
  return rendezvous_from_environment(lookup(env), scontrol.fn());
}

// The InputError's field for a bad environment, or "" when it parsed.
std::string bad_variable(const Env& env) {
  try {
    parse(env);
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.where().file, "environment");
    return e.field();
  }
  return "";
}

TEST(Rendezvous, NothingSetIsOneProcess) {
  const Rendezvous r = parse({{"HOME", "/root"}});
  EXPECT_EQ(r.style, "single");
  EXPECT_EQ(r.rank, 0);
  EXPECT_EQ(r.world_size, 1);
}

TEST(Rendezvous, Torchrun) {
  const Rendezvous r = parse({{"RANK", "5"},
                              {"WORLD_SIZE", "8"},
                              {"LOCAL_RANK", "1"},
                              {"LOCAL_WORLD_SIZE", "4"},
                              {"MASTER_ADDR", "10.0.0.7"},
                              {"MASTER_PORT", "29400"},
                              {"SLURM_PROCID", "0"}});  // torchrun under srun: torchrun's numbering wins
  EXPECT_EQ(r.style, "torchrun");
  EXPECT_EQ(r.rank, 5);
  EXPECT_EQ(r.world_size, 8);
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.local_world_size, 4);
  EXPECT_EQ(r.master_addr, "10.0.0.7");
  EXPECT_EQ(r.master_port, 29400);
  EXPECT_EQ(describe(r), "rank 5/8 (torchrun)");
  // By hand on one machine, without LOCAL_*: all ranks are local.
  const Rendezvous here =
      parse({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1"}});
  EXPECT_EQ(here.local_rank, 1);
  EXPECT_EQ(here.local_world_size, 2);
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address("10.0.0.7"));
}

TEST(Rendezvous, SlurmFindsTheFirstHostAndThePortOfTheExportedScript) {
  FakeScontrol scontrol;
  const Env env = {{"SLURM_PROCID", "3"},
                   {"SLURM_NTASKS", "4"},
                   {"SLURM_LOCALID", "1"},
                   {"SLURM_NODEID", "1"},
                   {"SLURM_STEP_TASKS_PER_NODE", "2(x2)"},
                   {"SLURM_JOB_NODELIST", "node[07-08]"},
                   {"SLURM_JOB_ID", "123456"}};
  const Rendezvous r = rendezvous_from_environment(lookup(env), scontrol.fn());
  EXPECT_EQ(r.style, "slurm");
  EXPECT_EQ(r.rank, 3);
  EXPECT_EQ(r.world_size, 4);
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.local_world_size, 2);
  EXPECT_EQ(scontrol.asked, "node[07-08]");
  EXPECT_EQ(r.master_addr, "node07");
  EXPECT_EQ(r.master_port, 29500 + 456);  // 29500 + SLURM_JOB_ID % 1000, as sprout.sbatch computes it

  // The exported script sets MASTER_ADDR and MASTER_PORT: they win, scontrol is not asked.
  Env with = env;
  with["MASTER_ADDR"] = "head";
  with["MASTER_PORT"] = "31000";
  FakeScontrol unused;
  const Rendezvous s = rendezvous_from_environment(lookup(with), unused.fn());
  EXPECT_EQ(s.master_addr, "head");
  EXPECT_EQ(s.master_port, 31000);
  EXPECT_EQ(unused.asked, "");

  // Uneven nodes: "3,1" puts one task on the second node.
  with["SLURM_STEP_TASKS_PER_NODE"] = "3,1";
  with["SLURM_LOCALID"] = "0";
  EXPECT_EQ(parse(with).local_world_size, 1);
  with["SLURM_NODEID"] = "0";
  EXPECT_EQ(parse(with).local_world_size, 3);
  // One task: a single process, whatever else Slurm says.
  EXPECT_EQ(parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).style, "single");
}

// `sprout export --target k8s` writes the Job's environment; a pod adds its
// JOB_COMPLETION_INDEX. The trainer must read exactly that contract.
TEST(Rendezvous, KubernetesIndexedJobOfTheExportedManifest) {
  planner::ClusterOverrides o;
  o.gpus = 2;
  const planner::Plan plan = planner::load_plan(sprout::test::source_path("plans/tiny-cpu.yaml"), o);
  planner::ExportOptions eo;
  eo.target = planner::ExportTarget::kKubernetes;
  eo.out_dir = sprout::test::make_temp_dir("k8s-contract");
  eo.container_image = "registry.example/sprout:1";
  planner::EstimateOptions est;
  est.with_scratch_baseline = false;
  planner::export_plan(plan, planner::estimate_plan(plan, est), eo);
  const YAML::Node job = YAML::LoadFile(eo.out_dir + "/job.yaml");
  Env env;
  for (const auto& e : job["spec"]["template"]["spec"]["containers"][0]["env"]) {
    env[e["name"].as<std::string>()] = e["value"].as<std::string>();
  }
  env["JOB_COMPLETION_INDEX"] = "1";  // set by Kubernetes in pod 1 of an Indexed Job
  const Rendezvous r = parse(env);
  EXPECT_EQ(r.style, "kubernetes");
  EXPECT_EQ(r.rank, 1);
  EXPECT_EQ(r.world_size, 2);
  EXPECT_EQ(r.local_rank, 0);
  EXPECT_EQ(r.master_addr, "tiny-cpu-growth-schedule-0.tiny-cpu-growth-schedule");
  EXPECT_EQ(r.master_port, 29500);

  // Without MASTER_ADDR, pod 0's DNS name comes from the headless Service.
  env.erase("MASTER_ADDR");
  EXPECT_EQ(parse(env).master_addr, "tiny-cpu-growth-schedule-0.tiny-cpu-growth-schedule");
  env.erase("SPROUT_K8S_SERVICE");
  EXPECT_EQ(bad_variable(env), "MASTER_ADDR");
}

// OMP_WAIT_POLICY=PASSIVE only where ranks share the node's cores
// (process_setup.h): torchrun by hand on the loopback, LOCAL_WORLD_SIZE,
// Slurm's tasks per node; one process, one pod per rank or unreadable
// variables keep libgomp's default.
TEST(Rendezvous, RanksSharingTheNodeAreFoundBeforeTheRendezvous) {
  EXPECT_FALSE(shares_node_with_other_ranks(lookup({{"HOME", "/root"}})));
  EXPECT_TRUE(shares_node_with_other_ranks(
      lookup({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}})));
  EXPECT_FALSE(shares_node_with_other_ranks(lookup({{"RANK", "1"},
                                                    {"WORLD_SIZE", "4"},
                                                    {"LOCAL_WORLD_SIZE", "1"},
                                                    {"MASTER_ADDR", "10.0.0.7"},
                                                    {"MASTER_PORT", "29500"}})));
  // The first rank of node 1 in a job of two nodes with `tasks_per_node`
  // tasks each.
  auto slurm = [](const std::string& tasks_per_node) {
    return lookup({{"SLURM_PROCID", tasks_per_node},
                   {"SLURM_NTASKS", std::to_string(2 * std::stoi(tasks_per_node))},
                   {"SLURM_NODEID", "1"},
                   {"SLURM_TASKS_PER_NODE", tasks_per_node + "(x2)"},
                   {"SLURM_JOB_NODELIST", "node[1-2]"},
                   {"SLURM_JOB_ID", "77"}});
  };
  EXPECT_TRUE(shares_node_with_other_ranks(slurm("2")));
  EXPECT_FALSE(shares_node_with_other_ranks(slurm("1")));
  EXPECT_FALSE(shares_node_with_other_ranks(
      lookup({{"JOB_COMPLETION_INDEX", "1"}, {"WORLD_SIZE", "4"}, {"SPROUT_K8S_SERVICE", "run"}})));
  EXPECT_FALSE(shares_node_with_other_ranks(lookup({{"RANK", "0"}, {"WORLD_SIZE", "two"}})));
}

TEST(Rendezvous, BadVariablesNameTheVariable) {
  const Env ok = {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "29500"}};
  EXPECT_EQ(bad_variable(ok), "");
  auto with = [&](const std::string& k, const std::string& v) {
    Env e = ok;
    if (v.empty())
      e.erase(k);
    else
      e[k] = v;
    return bad_variable(e);
  };
  EXPECT_EQ(with("RANK", "2"), "RANK");  // not below the world size
  EXPECT_EQ(with("RANK", "-1"), "RANK");
  EXPECT_EQ(with("WORLD_SIZE", "two"), "WORLD_SIZE");
  EXPECT_EQ(with("WORLD_SIZE", ""), "WORLD_SIZE");  // RANK without WORLD_SIZE
  EXPECT_EQ(with("MASTER_PORT", "70000"), "MASTER_PORT");
  EXPECT_EQ(with("MASTER_ADDR", ""), "MASTER_ADDR");
  EXPECT_EQ(bad_variable({{"JOB_COMPLETION_INDEX", "3"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}),
            "JOB_COMPLETION_INDEX");
  EXPECT_EQ(bad_variable({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}), "SLURM_JOB_NODELIST");
  EXPECT_EQ(
      bad_variable(
          {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "h"}, {"SLURM_STEP_TASKS_PER_NODE", "2(x"}}),
      "SLURM_STEP_TASKS_PER_NODE");
  // The message is one line naming the variable.
  try {
    parse({{"RANK", "9"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}});
    FAIL();
  } catch (const planner::InputError& e) {
    EXPECT_STREQ(e.what(), "environment: RANK: rank 9 is not below the world size 4");
  }
}

}  // namespace
}  // namespace sprout::backend
