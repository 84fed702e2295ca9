// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/checkpoint.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "file_io.h"
#include "sprout/planner/atomic_file.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFiles[] = {"tensors.bin", "state.json"};

std::string step_name(long long step) { return fmt::format("step-{:09d}", step); }

}  // namespace

std::vector<std::pair<long long, std::string>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<long long, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("step-", 0) != 0) continue;
    try {
      out.emplace_back(std::stoll(name.substr(5)), e.path().string());
    } catch (const std::exception&) {
      // not ours
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string write_checkpoint(const std::string& checkpoints_dir, long long step, const CheckpointData& data,
                             int keep) {
  fs::create_directories(checkpoints_dir);
  const fs::path final_dir = fs::path(checkpoints_dir) / step_name(step);
  const fs::path tmp = fs::path(checkpoints_dir) / fmt::format(".tmp-{}-{}", step_name(step), ::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  write_tensor_archive((tmp / "tensors.bin").string(), data.tensors);
  write_file_synced((tmp / "state.json").string(), data.state_json);
  planner::fsync_directory(tmp.string());
  // A leftover directory of the same step (e.g. a corrupt one that resume
  // skipped) is replaced.
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
  planner::fsync_directory(checkpoints_dir);

  nlohmann::json done;
  done["step"] = step;
  for (const char* f : kFiles) {
    const std::string bytes = read_whole_file((final_dir / f).string());
    done["files"][f] = {{"bytes", bytes.size()}, {"crc32", crc32_of(bytes)}};
  }
  planner::write_file_atomically((final_dir / "DONE").string(), done.dump() + "\n");

  auto all = list_checkpoints(checkpoints_dir);
  const int excess = static_cast<int>(all.size()) - std::max(1, keep);
  for (int i = 0; i < excess; ++i) fs::remove_all(all[static_cast<size_t>(i)].second);
  return final_dir.string();
}

std::string checkpoint_problem(const std::string& dir) {
  const fs::path done_path = fs::path(dir) / "DONE";
  if (!fs::exists(done_path)) return "no DONE marker (incomplete)";
  nlohmann::json done;
  try {
    done = nlohmann::json::parse(read_whole_file(done_path.string()));
    for (const char* f : kFiles) {
      const fs::path p = fs::path(dir) / f;
      if (!fs::exists(p)) return std::string(f) + " is missing";
      const std::string bytes = read_whole_file(p.string());
      const auto& want = done.at("files").at(f);
      if (bytes.size() != want.at("bytes").get<size_t>()) {
        return fmt::format("{} has {} bytes, DONE says {} (truncated)", f, bytes.size(), want.at("bytes").get<size_t>());
      }
      if (crc32_of(bytes) != want.at("crc32").get<uint32_t>()) return std::string(f) + " fails its CRC-32 (corrupt)";
    }
  } catch (const std::exception& e) {
    return std::string("unreadable DONE marker: ") + e.what();
  }
  return "";
}

CheckpointSearch load_newest_checkpoint(const std::string& checkpoints_dir) {
  auto all = list_checkpoints(checkpoints_dir);
  CheckpointSearch out;
  auto& rejected = out.rejected;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string name = fs::path(it->second).filename().string();
    if (std::string problem = checkpoint_problem(it->second); !problem.empty()) {
      rejected.push_back(name + ": " + problem);
      continue;
    }
    try {
      LoadedCheckpoint c;
      c.path = it->second;
      c.step = it->first;
      c.data.tensors = read_tensor_archive((fs::path(it->second) / "tensors.bin").string());
      c.data.state_json = read_whole_file((fs::path(it->second) / "state.json").string());
      out.newest = std::move(c);
      return out;
    } catch (const std::exception& e) {
      rejected.push_back(name + ": " + e.what());
    }
  }
  return out;
}

}  // namespace sprout::backend
