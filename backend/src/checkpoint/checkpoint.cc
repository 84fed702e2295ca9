// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/checkpoint.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <iterator>
#include <stdexcept>

#include "data/crc32.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTensorsFile = "tensors.bin";
constexpr const char* kStateFile = "state.json";
constexpr const char* kShardPrefix = "optimizer-rank-";

std::string step_name(long long step) { return fmt::format("step-{:09d}", step); }

std::string shard_name(int rank, int world_size) {
  return fmt::format("{}{:05d}-of-{:05d}.bin", kShardPrefix, rank, world_size);
}

struct FileCheck {
  double bytes = 0;
  double crc32 = 0;
};

FileCheck check_of(const std::string& path) {
  const std::string bytes = planner::read_file(path);
  return {static_cast<double>(bytes.size()), static_cast<double>(crc32_of(bytes))};
}

// Rank 0 only: the temp directory, emptied of anything an interrupted write left.
void prepare_temp_dir(const fs::path& checkpoints_dir, const fs::path& tmp) {
  fs::create_directories(checkpoints_dir);
  for (const auto& e : fs::directory_iterator(checkpoints_dir)) {
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) planner::remove_tree(e.path().string());
  }
  fs::create_directories(tmp);
}

// Whether DONE exists and every file it lists has its size: what pruning can
// tell without reading the files (an interrupted write, a truncated file).
bool looks_complete(const fs::path& dir) {
  try {
    const nlohmann::json done = nlohmann::json::parse(planner::read_file((dir / "DONE").string()));
    for (const auto& [name, want] : done.at("files").items()) {
      std::error_code ec;
      if (fs::file_size(dir / name, ec) != want.at("bytes").get<uintmax_t>() || ec) return false;
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// After publishing step `step`: keeps the newest `keep` checkpoints up to it
// that look complete; older ones, and any older one that does not look
// complete (e.g. one a resume skipped, which would otherwise count as one of
// the `keep`), are removed. Newer ones (left by a run that was resumed from
// an earlier step) are left alone: the run writes those steps again.
void prune(const fs::path& checkpoints_dir, long long step, int keep) {
  auto all = list_checkpoints(checkpoints_dir.string());
  int kept = 0;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->first > step) continue;
    if (kept < std::max(1, keep) && looks_complete(it->second)) {
      ++kept;
    } else if (kept > 0) {
      planner::remove_tree(it->second);
    }
  }
}

// Rank 0 only: rename into place, then DONE, then prune.
std::string publish(const fs::path& checkpoints_dir, const fs::path& tmp, long long step, const nlohmann::json& files,
                    int keep) {
  const fs::path final_dir = checkpoints_dir / step_name(step);
  planner::fsync_directory(tmp.string());
  // A leftover directory of the same step (e.g. a corrupt one that resume
  // skipped) is replaced.
  planner::remove_tree(final_dir.string());
  planner::file_step("rename", final_dir.string());
  fs::rename(tmp, final_dir);
  planner::fsync_directory(checkpoints_dir.string());
  nlohmann::json done;
  done["step"] = step;
  done["files"] = files;
  planner::write_file_atomically((final_dir / "DONE").string(), done.dump() + "\n");

  prune(checkpoints_dir, step, keep);
  return final_dir.string();
}

// Why a checkpoint is incomplete or corrupt (checkpoint_problem's answer).
struct CheckpointProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every byte this process read from checkpoints (CRC checks and loads).
std::atomic<long long> bytes_read{0};

std::string read_counted(const std::string& path) {
  std::string bytes = planner::read_file(path);
  bytes_read += static_cast<long long>(bytes.size());
  return bytes;
}

// DONE's table of files; throws CheckpointProblem without DONE or when it is unreadable.
nlohmann::json listed_files(const std::string& dir) {
  const fs::path done_path = fs::path(dir) / "DONE";
  if (!fs::exists(done_path)) throw CheckpointProblem("no DONE marker (incomplete)");
  nlohmann::json files;
  long long step = -1;
  try {
    const nlohmann::json done = nlohmann::json::parse(read_counted(done_path.string()));
    step = done.at("step").get<long long>();
    files = done.at("files");
    for (const auto& [name, want] : files.items()) {
      (void)want.at("bytes").get<size_t>();
      (void)want.at("crc32").get<uint32_t>();
    }
  } catch (const std::exception& e) {
    throw CheckpointProblem(std::string("unreadable DONE marker: ") + e.what());
  }
  // Every other byte of DONE is a size, a CRC or JSON syntax, which the
  // checks below or the parser catch; the step is checked against the name
  // (a checkpoint copied under another name, e.g. for --init-from, keeps it).
  const std::string dir_name = fs::path(dir).filename().string();
  if (dir_name.rfind("step-", 0) == 0 && dir_name != step_name(step)) {
    throw CheckpointProblem(fmt::format("DONE names step {}, not the directory's {} (corrupt)", step, dir_name));
  }
  for (const char* f : {kTensorsFile, kStateFile}) {
    if (!files.contains(f)) throw CheckpointProblem(std::string("DONE does not list ") + f);
  }
  return files;
}

// Reads every file DONE lists, once, and hands it to `visit` after checking
// its size and CRC-32; throws CheckpointProblem at the first that fails.
void for_each_checked_file(const std::string& dir, const std::function<void(const std::string&, std::string)>& visit) {
  const nlohmann::json files = listed_files(dir);  // named: items() must not outlive it
  for (const auto& [name, want] : files.items()) {
    const fs::path p = fs::path(dir) / name;
    if (!fs::exists(p)) throw CheckpointProblem(name + " (listed in DONE) is missing");
    std::string bytes = read_counted(p.string());
    if (bytes.size() != want.at("bytes").get<size_t>()) {
      throw CheckpointProblem(
          fmt::format("{} has {} bytes, DONE says {} (truncated)", name, bytes.size(), want.at("bytes").get<size_t>()));
    }
    if (crc32_of(bytes) != want.at("crc32").get<uint32_t>())
      throw CheckpointProblem(name + " fails its CRC-32 in DONE (corrupt)");
    visit(name, std::move(bytes));
  }
}

// The files DONE lists, each present with its listed size (not read).
void check_listed_sizes(const std::string& dir, const nlohmann::json& files) {
  for (const auto& [name, want] : files.items()) {
    const fs::path p = fs::path(dir) / name;
    if (!fs::exists(p)) throw CheckpointProblem(name + " (listed in DONE) is missing");
    const auto bytes = fs::file_size(p);
    if (bytes != want.at("bytes").get<size_t>()) {
      throw CheckpointProblem(
          fmt::format("{} has {} bytes, DONE says {} (truncated)", name, bytes, want.at("bytes").get<size_t>()));
    }
  }
}

// `work` on checkpoint `dir`; a CheckpointProblem becomes std::runtime_error
// "step-N: reason".
template <typename Work>
auto naming_the_checkpoint(const std::string& dir, Work work) {
  try {
    return work();
  } catch (const CheckpointProblem& e) {
    throw std::runtime_error(fs::path(dir).filename().string() + ": " + e.what());
  }
}

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

std::string write_checkpoint(const std::string& checkpoints_dir, long long step, const CheckpointData& data, int keep) {
  SingleProcessCommunicator one;
  return write_checkpoint(one, checkpoints_dir, step, data, false, {}, keep);
}

std::string write_checkpoint(Communicator& comm, const std::string& checkpoints_dir, long long step,
                             const CheckpointData& data, bool rank_shards, const NamedTensors& rank_shard, int keep) {
  const fs::path dir(checkpoints_dir);
  const fs::path tmp = dir / (".tmp-" + step_name(step));
  const int rank = comm.rank();
  const int world = comm.world_size();
  if (rank == 0) prepare_temp_dir(dir, tmp);
  comm.barrier();  // the temp directory exists (and holds nothing stale)

  nlohmann::json files;
  if (rank == 0) {
    write_tensor_archive((tmp / kTensorsFile).string(), data.tensors);
    planner::write_file_synced((tmp / kStateFile).string(), data.state_json);
    for (const char* f : {kTensorsFile, kStateFile}) {
      const FileCheck c = check_of((tmp / f).string());
      files[f] = {{"bytes", static_cast<uint64_t>(c.bytes)}, {"crc32", static_cast<uint32_t>(c.crc32)}};
    }
  }
  // Every rank writes its shard and reports its size and CRC; the sum over
  // ranks of this table is also the barrier "every shard is on disk".
  std::vector<double> table(2 * static_cast<size_t>(world), 0.0);
  if (rank_shards) {
    const std::string path = (tmp / shard_name(rank, world)).string();
    write_tensor_archive(path, rank_shard);
    const FileCheck c = check_of(path);
    table[2 * static_cast<size_t>(rank)] = c.bytes;
    table[2 * static_cast<size_t>(rank) + 1] = c.crc32;
  }
  table = sum_over_ranks(comm, table);
  if (rank == 0) {
    if (rank_shards) {
      for (int r = 0; r < world; ++r) {
        files[shard_name(r, world)] = {{"bytes", static_cast<uint64_t>(table[2 * static_cast<size_t>(r)])},
                                       {"crc32", static_cast<uint32_t>(table[2 * static_cast<size_t>(r) + 1])}};
      }
    }
    publish(dir, tmp, step, files, keep);
  }
  comm.barrier();  // published: a rank that exits now leaves a complete checkpoint
  return (dir / step_name(step)).string();
}

std::string checkpoint_dir(const std::string& checkpoints_dir, long long step) {
  return (fs::path(checkpoints_dir) / step_name(step)).string();
}

std::string checkpoint_problem(const std::string& dir) {
  try {
    for_each_checked_file(dir, [](const std::string&, std::string) {});
  } catch (const CheckpointProblem& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unreadable: ") + e.what();
  }
  return "";
}

// Each file is read once: its CRC is checked on the bytes that are then parsed.
LoadedCheckpoint load_checkpoint(const std::string& dir) {
  LoadedCheckpoint c;
  c.path = dir;
  c.step = std::stoll(fs::path(dir).filename().string().substr(5));
  NamedTensors shards;
  try {
    for_each_checked_file(dir, [&](const std::string& name, std::string bytes) {
      const std::string path = (fs::path(dir) / name).string();
      if (name == kTensorsFile) {
        c.data.tensors = parse_tensor_archive(std::move(bytes), path);
      } else if (name == kStateFile) {
        c.data.state_json = std::move(bytes);
      } else if (name.rfind(kShardPrefix, 0) == 0) {
        NamedTensors shard = parse_tensor_archive(std::move(bytes), path);
        std::move(shard.begin(), shard.end(), std::back_inserter(shards));
      }
    });
  } catch (const CheckpointProblem& e) {
    throw std::runtime_error(fs::path(dir).filename().string() + ": " + e.what());
  }
  std::move(shards.begin(), shards.end(), std::back_inserter(c.data.tensors));
  return c;
}

CheckpointState read_checkpoint_state(const std::string& dir) {
  return naming_the_checkpoint(dir, [&] {
    const nlohmann::json files = listed_files(dir);
    check_listed_sizes(dir, files);
    const std::string path = checkpoint_state_path(dir);
    const std::string state = read_counted(path);
    if (crc32_of(state) != files.at(kStateFile).at("crc32").get<uint32_t>()) {
      throw CheckpointProblem(std::string(kStateFile) + " fails its CRC-32 (corrupt)");
    }
    try {
      return parse_checkpoint_state(state, path);
    } catch (const planner::InputError& e) {
      throw CheckpointProblem(std::string(kStateFile) + ": " + e.field() + ": " + e.reason());
    }
  });
}

std::string checkpoint_state_path(const std::string& dir) { return (fs::path(dir) / kStateFile).string(); }

std::map<std::string, ArchiveRecord> index_checkpoint(const std::string& dir) {
  return naming_the_checkpoint(dir, [&] {
    std::map<std::string, ArchiveRecord> out;
    const nlohmann::json files = listed_files(dir);
    for (const auto& [name, want] : files.items()) {
      if (fs::path(name).extension() != ".bin") continue;
      const std::string path = (fs::path(dir) / name).string();
      uint64_t header_bytes = want.at("bytes").get<uint64_t>();  // the file less its records' data
      for (ArchiveRecord& r : index_tensor_archive(path)) {
        header_bytes -= r.nbytes;
        const std::string record_name = r.name;
        if (!out.emplace(record_name, std::move(r)).second) {
          throw CheckpointProblem(name + ": tensor " + record_name + " is also in another file");
        }
      }
      bytes_read += static_cast<long long>(header_bytes);
    }
    return out;
  });
}

torch::Tensor read_checkpoint_record(const ArchiveRecord& record) {
  torch::Tensor t = read_archive_record(record);
  bytes_read += static_cast<long long>(record.nbytes);
  return t;
}

long long checkpoint_bytes_read() { return bytes_read.load(); }

CheckpointSearch load_newest_checkpoint(const std::string& checkpoints_dir) {
  auto all = list_checkpoints(checkpoints_dir);
  CheckpointSearch out;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      out.newest = load_checkpoint(it->second);
      return out;
    } catch (const std::exception& e) {
      const std::string what = e.what();
      const std::string name = fs::path(it->second).filename().string();
      out.rejected.push_back(what.rfind(name, 0) == 0 ? what : name + ": " + what);
    }
  }
  return out;
}

}  // namespace sprout::backend
