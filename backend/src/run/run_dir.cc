// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_dir.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "data/crc32.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::backend {
namespace fs = std::filesystem;

RunDirPaths run_dir_paths(const std::string& root) {
  const fs::path r(root);
  return {root,
          (r / "plan.yaml").string(),
          (r / "telemetry.jsonl").string(),
          (r / "summary.json").string(),
          (r / "checkpoints").string(),
          (r / "data").string()};
}

std::string plan_fingerprint_of_yaml(const std::string& canonical_plan_yaml) {
  return fmt::format("{:08x}-{}", crc32_of(canonical_plan_yaml), canonical_plan_yaml.size());
}

std::string layout_independent_fingerprint(planner::Plan plan) {
  plan.cluster.gpus = 1;
  for (auto& st : plan.stages) st.parallel.reset();
  // A resume continues from its own checkpoint whatever the run started
  // from, and the plan copy names the same model by another path.
  plan.stages.front().init_from.clear();
  return plan_fingerprint_of_yaml(planner::plan_to_yaml(plan));
}

void check_fresh_run_dir(const RunDirPaths& p) {
  if (fs::exists(p.telemetry) || fs::exists(p.checkpoints)) {
    throw planner::InputError({p.root, 0, 0}, "--out",
                              "already holds a run (telemetry or checkpoints); pass --resume to continue it "
                              "or choose a new --out");
  }
}

namespace {

// The plan file as written, or, when its first stage's init_from is a
// relative path, re-emitted with the resolved one (comments are then lost).
std::string plan_copy_text(const std::string& plan_path, const std::string& init_from) {
  std::string text = planner::read_file(plan_path);
  if (init_from.empty()) return text;
  YAML::Node plan = YAML::Load(text);
  YAML::Node first = plan["stages"][0];
  if (first["init_from"].as<std::string>() == init_from) return text;
  first["init_from"] = init_from;
  YAML::Emitter out;
  out << plan;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

void prepare_run_dir(const RunDirPaths& paths, const std::string& plan_path, const std::string& init_from,
                     bool resuming) {
  fs::create_directories(paths.root);
  if (!resuming && !fs::exists(paths.plan)) {
    planner::write_file_atomically(paths.plan, plan_copy_text(plan_path, init_from));
  }
}

}  // namespace sprout::backend
