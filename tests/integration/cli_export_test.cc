// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout export`: the generated Slurm script runs (against stub srun and
// scontrol) with names that try to inject shell; the Kubernetes manifests pass
// a schema check against the API's typed models.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout {
namespace {

namespace fs = std::filesystem;

// A copy of the tiny plan whose name tries to break out of quotes and comments.
std::string hostile_plan(const std::string& dir) {
  std::string text = planner::read_file(test::source_path("plans/tiny-cpu.yaml"));
  const std::string from = "name: tiny CPU growth schedule";
  text.replace(text.find(from), from.size(),
               "name: \"x' $(touch INJECTED) `touch INJECTED2`; \\\"q\\\"\\n#SBATCH --gpus=99\"");
  const std::string path = dir + "/hostile plan.yaml";
  std::ofstream(path) << text;
  fs::create_directories(dir + "/profiles");
  return path;
}

void write_stub(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/bash\n" << body;
  fs::permissions(path, fs::perms::owner_all);
}

TEST(CliExport, SlurmScriptRunsWithStubSchedulerAndQuotesEverything) {
  const std::string dir = test::make_temp_dir("export slurm");  // a space in the path too
  const std::string plan = hostile_plan(dir);
  const std::string out = dir + "/job $(touch INJECTED3)";
  auto r = test::run_command("cd '" + dir + "' && " + test::sprout_cmd() + " export '" + plan +
                             "' --target slurm --out '" + out + "' --gpus 2 --nodes 1 --time 2:00:00 --partition cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = planner::read_file(out + "/sprout.sbatch");
  for (const char* line :
       {"#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=2", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@120",
        "#SBATCH --time=2:00:00", "#SBATCH --partition=cpu", "srun --kill-on-bad-exit=0 --ntasks=2",
        "scontrol show hostnames", "trap forward_signal USR1", "--resume", "scontrol requeue", "predicted:"}) {
    EXPECT_NE(script.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(script.find("--gpus-per-node"), std::string::npos) << "CPU plan must not ask for GPUs";
  EXPECT_EQ(script.find("\n#SBATCH --gpus=99"), std::string::npos) << "the plan name leaked into a directive";
  ASSERT_TRUE(fs::exists(out + "/plan.yaml"));

  // Run it: srun runs the command once per task; scontrol names one host.
  const std::string bin = dir + "/bin";
  fs::create_directories(bin);
  write_stub(bin + "/scontrol", "[ \"$1\" = show ] && echo node-a\n");
  write_stub(bin + "/srun",
             "while [[ \"$1\" == --* ]]; do shift; done\n"
             "for i in 0 1; do SLURM_PROCID=$i \"$@\" || exit $?; done\n");
  write_stub(bin + "/fake-train",
             "printf '%s\\n' \"rank=$SLURM_PROCID master=$MASTER_ADDR:$MASTER_PORT\" \"$@\" >> \"$ARGS_FILE\"\n");
  auto run = test::run_command("cd '" + dir + "' && PATH='" + bin +
                               "':$PATH SLURM_JOB_ID=7 "
                               "SLURM_JOB_NODELIST=node-a SPROUT_TRAIN='" +
                               bin +
                               "/fake-train' "
                               "ARGS_FILE='" +
                               dir + "/args' bash '" + out + "/sprout.sbatch'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string args = planner::read_file(dir + "/args");
  EXPECT_NE(args.find("rank=0 master=node-a:29507"), std::string::npos) << args;
  EXPECT_NE(args.find("rank=1 master=node-a:29507"), std::string::npos) << args;
  EXPECT_NE(args.find("--plan\n" + out + "/plan.yaml\n--out\n" + out + "/run\n"), std::string::npos) << args;
  EXPECT_EQ(args.find("--resume"), std::string::npos) << "no checkpoint yet";
  for (const char* f : {"INJECTED", "INJECTED2", "INJECTED3"}) {
    EXPECT_FALSE(fs::exists(dir + "/" + f)) << f;
    EXPECT_FALSE(fs::exists(out + "/" + f)) << f;
  }
  // After a complete checkpoint the restarted job resumes.
  fs::create_directories(out + "/run/checkpoints/step-000010");
  std::ofstream(out + "/run/checkpoints/step-000010/DONE") << "ok";
  fs::remove(dir + "/args");
  run = test::run_command("PATH='" + bin + "':$PATH SLURM_JOB_ID=7 SLURM_JOB_NODELIST=node-a SPROUT_TRAIN='" + bin +
                          "/fake-train' ARGS_FILE='" + dir + "/args' bash '" + out + "/sprout.sbatch'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(planner::read_file(dir + "/args").find("--resume"), std::string::npos);

  // A trainer stopped by a signal Slurm sent the tasks (not the batch script)
  // exits 75: the script requeues the job and leaves with 0; exit 2 is final.
  write_stub(bin + "/scontrol", "[ \"$1\" = show ] && echo node-a\necho \"$*\" >> \"$ARGS_FILE.scontrol\"\n");
  for (const auto& [code, requeued] : {std::pair{75, true}, {2, false}, {1, false}}) {
    write_stub(bin + "/fake-train", "exit " + std::to_string(code) + "\n");
    fs::remove(dir + "/args.scontrol");
    run = test::run_command("PATH='" + bin + "':$PATH SLURM_JOB_ID=7 SLURM_JOB_NODELIST=node-a SPROUT_TRAIN='" + bin +
                            "/fake-train' ARGS_FILE='" + dir + "/args' bash '" + out + "/sprout.sbatch'");
    const std::string scontrol = fs::exists(dir + "/args.scontrol") ? planner::read_file(dir + "/args.scontrol") : "";
    EXPECT_EQ(run.exit_code, requeued ? 0 : code) << code << ": " << run.err;
    EXPECT_EQ(scontrol.find("requeue 7") != std::string::npos, requeued) << code << ": " << scontrol;
    EXPECT_EQ(run.err.find("requeueing job 7") != std::string::npos, requeued) << code << ": " << run.err;
  }
}

TEST(CliExport, KubernetesManifestsPassTheSchemaCheck) {
  const std::string dir = test::make_temp_dir("export-k8s");
  const std::string plan = hostile_plan(dir);
  auto r = test::run_command(test::sprout_cmd() + " export '" + plan + "' --target k8s --out " + dir +
                             "/k8s --gpus 2 --container registry.example/sprout:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string files;
  for (const char* f : {"service.yaml", "pvc.yaml", "configmap.yaml", "job.yaml"}) files += " " + dir + "/k8s/" + f;
  auto check = test::run_command("/usr/bin/python3 " + test::source_path("scripts/check-k8s-manifests.py") + files);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  YAML::Node job = YAML::LoadFile(dir + "/k8s/job.yaml");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  EXPECT_EQ(job["spec"]["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(job["spec"]["completions"].as<int>(), 2);
  const std::string name = job["metadata"]["name"].as<std::string>();
  EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos) << name;
  auto pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["subdomain"].as<std::string>(), name);
  std::map<std::string, std::string> env;
  for (const auto& e : pod["containers"][0]["env"]) env[e["name"].as<std::string>()] = e["value"].as<std::string>();
  EXPECT_EQ(env["WORLD_SIZE"], "2");
  EXPECT_EQ(env["MASTER_ADDR"], name + "-0." + name);
  // Preemption (docs/backend.md "Slurm and Kubernetes"): exit 2 fails the Job,
  // exit 75 and a disrupted pod are ignored (the pod is replaced), /dev/shm is
  // memory-backed.
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "Never");
  const YAML::Node rules = job["spec"]["podFailurePolicy"]["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["action"].as<std::string>(), "FailJob");
  EXPECT_EQ(rules[0]["onExitCodes"]["values"][0].as<int>(), 2);
  EXPECT_EQ(rules[0]["onExitCodes"]["containerName"].as<std::string>(), "trainer");
  EXPECT_EQ(rules[1]["action"].as<std::string>(), "Ignore");
  EXPECT_EQ(rules[1]["onExitCodes"]["values"][0].as<int>(), 75);
  EXPECT_EQ(rules[2]["action"].as<std::string>(), "Ignore");
  EXPECT_EQ(rules[2]["onPodConditions"][0]["type"].as<std::string>(), "DisruptionTarget");
  bool shm_mounted = false;
  for (const auto& m : pod["containers"][0]["volumeMounts"]) {
    shm_mounted =
        shm_mounted || (m["mountPath"].as<std::string>() == "/dev/shm" && m["name"].as<std::string>() == "shm");
  }
  EXPECT_TRUE(shm_mounted);
  bool shm_in_memory = false;
  for (const auto& v : pod["volumes"]) {
    shm_in_memory = shm_in_memory ||
                    (v["name"].as<std::string>() == "shm" && v["emptyDir"]["medium"].as<std::string>() == "Memory");
  }
  EXPECT_TRUE(shm_in_memory);
  // The schema check knows the API server's rules: a pod failure policy
  // under restartPolicy OnFailure, or an unknown action, is refused.
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"restartPolicy: Never", "restartPolicy: OnFailure"},
        {"action: FailJob", "action: Restart"}}) {
    std::string text = planner::read_file(dir + "/k8s/job.yaml");
    ASSERT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
    planner::write_file_atomically(dir + "/broken-job.yaml", text);
    auto broken = test::run_command("/usr/bin/python3 " + test::source_path("scripts/check-k8s-manifests.py") + " " +
                                    dir + "/broken-job.yaml");
    EXPECT_EQ(broken.exit_code, 1) << to << "\n" << broken.out;
  }
  YAML::Node svc = YAML::LoadFile(dir + "/k8s/service.yaml");
  EXPECT_EQ(svc["spec"]["clusterIP"].as<std::string>(), "None");
  // The ConfigMap carries a plan that sprout reads back.
  YAML::Node cm = YAML::LoadFile(dir + "/k8s/configmap.yaml");
  std::ofstream(dir + "/from-configmap.yaml") << cm["data"]["plan.yaml"].as<std::string>();
  auto replan = test::run_command(test::sprout_cmd() + " plan " + dir + "/from-configmap.yaml --format json");
  EXPECT_EQ(replan.exit_code, 0) << replan.err;
}

// sprout-train runs tensor- and pipeline-parallel layouts (issue 10): their
// export starts one task per rank of the TP x PP x DP grid.
TEST(CliExport, ATensorAndPipelineParallelPlanExportsOneTaskPerRank) {
  const std::string dir = test::make_temp_dir("export-tp-pp");
  std::string text = planner::read_file(test::source_path("plans/tiny-cpu.yaml"));
  const std::string dp1 = "{tp: 1, pp: 1, dp: 1, micro_batch: 16}";
  int layouts = 0;
  for (size_t at; (at = text.find(dp1)) != std::string::npos; ++layouts) {
    text.replace(at, dp1.size(), "{tp: 2, pp: 2, dp: 1, micro_batch: 8}");
  }
  ASSERT_EQ(layouts, 3);
  text.replace(text.find("gpus: 1"), 7, "gpus: 4");
  const std::string plan = dir + "/tp2-pp2.yaml";
  planner::write_file_atomically(plan, text);
  auto r =
      test::run_command(test::sprout_cmd() + " export " + plan + " --target slurm --out " + dir + "/job --nodes 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = planner::read_file(dir + "/job/sprout.sbatch");
  for (const char* line : {"#SBATCH --ntasks-per-node=4", "srun --kill-on-bad-exit=0 --ntasks=4"}) {
    EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
  }
}

// FLM-101B as published (batches in sequences, xPos, heads growing with the
// width at head size 128) exports for both schedulers: 192 ranks.
TEST(CliExport, Flm101BExportsForSlurmAndKubernetes) {
  const std::string dir = test::make_temp_dir("export-flm");
  const std::string plan = test::source_path("plans/flm-101b.yaml");
  auto slurm = test::run_command(test::sprout_cmd() + " export " + plan + " --target slurm --out " + dir + "/slurm");
  ASSERT_EQ(slurm.exit_code, 0) << slurm.err;
  const std::string script = planner::read_file(dir + "/slurm/sprout.sbatch");
  EXPECT_NE(script.find("--ntasks=192"), std::string::npos) << script;
  auto k8s = test::run_command(test::sprout_cmd() + " export " + plan + " --target k8s --out " + dir +
                               "/k8s --container registry.example/sprout:1");
  ASSERT_EQ(k8s.exit_code, 0) << k8s.err;
  std::string files;
  for (const char* f : {"service.yaml", "pvc.yaml", "configmap.yaml", "job.yaml"}) files += " " + dir + "/k8s/" + f;
  auto check = test::run_command("/usr/bin/python3 " + test::source_path("scripts/check-k8s-manifests.py") + files);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(YAML::LoadFile(dir + "/k8s/job.yaml")["spec"]["completions"].as<int>(), 192);
  // Its CPU twin (the same kinds of choices on 4 processes) too.
  auto twin = test::run_command(test::sprout_cmd() + " export " + test::source_path("plans/flm-twin-cpu.yaml") +
                                " --target slurm --out " + dir + "/twin");
  ASSERT_EQ(twin.exit_code, 0) << twin.err;
  EXPECT_NE(planner::read_file(dir + "/twin/sprout.sbatch").find("--ntasks=4"), std::string::npos);
}

TEST(CliExport, RefusesWhatTheTrainerCannotRunAndBadOptions) {
  const std::string dir = test::make_temp_dir("export-bad");
  // FLM-101B with the 16B guess of earlier versions (40 x 5760, 80 heads of
  // 72) grows the head size under xPos (72 -> 128), which no MSG copy keeps.
  std::string flm_text = planner::read_file(test::source_path("plans/flm-101b.yaml"));
  flm_text.replace(flm_text.find("hidden: 5632"), 12, "hidden: 5760");
  flm_text.replace(flm_text.find("heads: 44"), 9, "heads: 80");
  const std::string head_growth = dir + "/flm-head-growth.yaml";
  planner::write_file_atomically(head_growth, flm_text);
  auto flm = test::run_command(test::sprout_cmd() + " export " + head_growth + " --target slurm --out " + dir + "/flm");
  EXPECT_EQ(flm.exit_code, 2);
  EXPECT_NE(flm.err.find("stages[1].hidden: cannot grow from stage '16B': hidden changes the head size hidden/heads "
                         "from 72 to 128, but xpos turns pair i"),
            std::string::npos)
      << flm.err;
  EXPECT_FALSE(fs::exists(dir + "/flm")) << "nothing written on refusal";
  // The tiny plan on TP2 with a vocabulary that does not split over 2 ranks.
  std::string text = planner::read_file(test::source_path("plans/tiny-cpu.yaml"));
  const std::string dp1 = "{tp: 1, pp: 1, dp: 1, micro_batch: 16}";
  for (size_t at; (at = text.find(dp1)) != std::string::npos;) {
    text.replace(at, dp1.size(), "{tp: 2, pp: 1, dp: 1, micro_batch: 16}");
  }
  text.replace(text.find("gpus: 1"), 7, "gpus: 2");
  text.replace(text.find("vocab: 256"), 10, "vocab: 255");
  const std::string odd_vocab = dir + "/odd-vocab.yaml";
  planner::write_file_atomically(odd_vocab, text);
  auto refused =
      test::run_command(test::sprout_cmd() + " export " + odd_vocab + " --target slurm --out " + dir + "/odd");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("cannot run in sprout-train: vocab=255 is not divisible by tp=2"), std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(dir + "/odd")) << "nothing written on refusal";
  const std::string tiny = test::source_path("plans/tiny-cpu.yaml");
  for (const std::string& bad : {std::string(" --target k8s --out ") + dir + "/k",  // no image
                                 std::string(" --target slurm --out ") + dir + "/s --time 'soon'",
                                 std::string(" --target slurm --out ") + dir + "/s --partition 'a b'",
                                 std::string(" --target slurm --out ") + dir + "/s --gpus 3 --nodes 2"}) {
    auto r = test::run_command(test::sprout_cmd() + " export " + tiny + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace sprout
