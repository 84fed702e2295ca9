// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/rendezvous.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/shell_quote.h"

namespace sprout::backend {
namespace {

constexpr int kDefaultMasterPort = 29500;  // torchrun's and `sprout export`'s default

[[noreturn]] void bad(const std::string& variable, const std::string& reason) {
  throw planner::InputError({"environment", 0, 0}, variable, reason);
}

class Variables {
 public:
  explicit Variables(const EnvironmentLookup& env) : env_(env) {}

  std::optional<std::string> text(const std::string& name) const {
    auto v = env_(name);
    if (v && v->empty()) return std::nullopt;  // set but empty counts as unset
    return v;
  }
  std::string required_text(const std::string& name, const std::string& why) const {
    auto v = text(name);
    if (!v) bad(name, "not set (" + why + ")");
    return *v;
  }
  std::optional<int> integer(const std::string& name, int min, int max) const {
    auto v = text(name);
    if (!v) return std::nullopt;
    static const std::regex kInt("[0-9]{1,9}");
    if (!std::regex_match(*v, kInt)) bad(name, "'" + *v + "' is not a non-negative integer");
    const int x = std::stoi(*v);
    if (x < min || x > max) bad(name, fmt::format("{} is outside {}..{}", x, min, max));
    return x;
  }
  int required_integer(const std::string& name, int min, int max, const std::string& why) const {
    auto v = integer(name, min, max);
    if (!v) bad(name, "not set (" + why + ")");
    return *v;
  }

 private:
  const EnvironmentLookup& env_;
};

constexpr int kMaxRanks = 1 << 20;

// The style's rank and world size, checked against each other.
Rendezvous ranks_from(const Variables& v, const std::string& style, const std::string& rank_variable,
                      const std::string& world_variable, const std::string& world_why) {
  Rendezvous r;
  r.style = style;
  r.world_size = v.required_integer(world_variable, 1, kMaxRanks, world_why);
  r.rank = v.required_integer(rank_variable, 0, kMaxRanks, "");
  if (r.rank >= r.world_size) {
    bad(rank_variable, fmt::format("rank {} is not below the world size {}", r.rank, r.world_size));
  }
  return r;
}

int port_or_default(const Variables& v) { return v.integer("MASTER_PORT", 1, 65535).value_or(kDefaultMasterPort); }

Rendezvous from_torchrun(const Variables& v) {
  Rendezvous r = ranks_from(v, "torchrun", "RANK", "WORLD_SIZE", "torchrun sets it with RANK");
  if (r.world_size > 1) {
    r.master_addr = v.required_text("MASTER_ADDR", "the host of rank 0");
    r.master_port = v.required_integer("MASTER_PORT", 1, 65535, "the rendezvous port on MASTER_ADDR");
  }
  // Started by hand without LOCAL_*: when rank 0 is on the loopback, every
  // rank is on this machine.
  const bool all_here = is_loopback_address(r.master_addr);
  r.local_rank = v.integer("LOCAL_RANK", 0, kMaxRanks).value_or(all_here ? r.rank : 0);
  r.local_world_size = v.integer("LOCAL_WORLD_SIZE", 1, kMaxRanks).value_or(all_here ? r.world_size : r.local_rank + 1);
  return r;
}

Rendezvous from_kubernetes(const Variables& v) {
  Rendezvous r =
      ranks_from(v, "kubernetes", "JOB_COMPLETION_INDEX", "WORLD_SIZE", "the Job's completions: one pod per rank");
  // One pod per rank: each pod has its node's share of cores and one GPU.
  r.local_rank = 0;
  r.local_world_size = 1;
  if (auto addr = v.text("MASTER_ADDR")) {
    r.master_addr = *addr;
  } else if (auto service = v.text("SPROUT_K8S_SERVICE")) {
    // Pod 0 of an Indexed Job named like its headless Service: <job>-0.<service>.
    r.master_addr = *service + "-0." + *service;
  } else if (r.world_size > 1) {
    bad("MASTER_ADDR", "not set, and no SPROUT_K8S_SERVICE to derive it from (<job>-0.<service>)");
  }
  r.master_port = port_or_default(v);
  return r;
}

// This node's entry of a Slurm tasks-per-node list such as "2(x3),1".
std::optional<int> tasks_on_node(const std::string& list, int node) {
  static const std::regex kItem("([0-9]+)(\\(x([0-9]+)\\))?");
  int first_node = 0;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    std::smatch m;
    const std::string item = list.substr(start, end - start);
    if (!std::regex_match(item, m, kItem)) return std::nullopt;
    const int tasks = std::stoi(m[1]);
    const int repeat = m[3].matched ? std::stoi(m[3]) : 1;
    if (node < first_node + repeat) return tasks;
    first_node += repeat;
    start = end + 1;
  }
  return std::nullopt;
}

Rendezvous from_slurm(const Variables& v, const NodeListFirstHost& first_host) {
  Rendezvous r = ranks_from(v, "slurm", "SLURM_PROCID", "SLURM_NTASKS", "srun sets it with SLURM_PROCID");
  r.local_rank = v.integer("SLURM_LOCALID", 0, kMaxRanks).value_or(0);
  r.local_world_size = r.local_rank + 1;
  const int node = v.integer("SLURM_NODEID", 0, kMaxRanks).value_or(0);
  for (const char* name : {"SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"}) {
    if (auto list = v.text(name)) {
      auto n = tasks_on_node(*list, node);
      if (!n) bad(name, "'" + *list + "' is not a Slurm tasks-per-node list for node " + std::to_string(node));
      r.local_world_size = std::max(*n, r.local_rank + 1);
      break;
    }
  }
  if (r.world_size > 1) {
    if (auto addr = v.text("MASTER_ADDR")) {
      r.master_addr = *addr;
    } else {
      auto list = v.text("SLURM_STEP_NODELIST");
      if (!list) list = v.text("SLURM_JOB_NODELIST");
      if (!list) bad("SLURM_JOB_NODELIST", "not set, and no MASTER_ADDR: cannot find rank 0's host");
      r.master_addr = first_host(*list);
    }
    if (auto port = v.integer("MASTER_PORT", 1, 65535)) {
      r.master_port = *port;
    } else {
      const int job = v.required_integer("SLURM_JOB_ID", 0, 2000000000, "no MASTER_PORT to use instead");
      r.master_port = kDefaultMasterPort + job % 1000;
    }
  }
  return r;
}

}  // namespace

Rendezvous rendezvous_from_environment(const EnvironmentLookup& env, const NodeListFirstHost& first_host) {
  const Variables v(env);
  Rendezvous r;
  if (v.text("RANK")) {
    r = from_torchrun(v);
  } else if (v.text("JOB_COMPLETION_INDEX")) {
    r = from_kubernetes(v);
  } else if (v.text("SLURM_PROCID")) {
    r = from_slurm(v, first_host);
  } else {
    return r;
  }
  if (r.world_size == 1) r.style = "single";
  return r;
}

std::string slurm_first_host(const std::string& node_list) {
  const std::string cmd = "scontrol show hostnames " + planner::shell_quote(node_list) + " 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 256> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
    const int status = ::pclose(p);
    if (status != 0) out.clear();
  }
  out = out.substr(0, out.find('\n'));
  if (out.empty()) {
    bad("SLURM_JOB_NODELIST", "`scontrol show hostnames '" + node_list + "'` gave no host; set MASTER_ADDR");
  }
  return out;
}

std::optional<std::string> process_variable(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

Rendezvous rendezvous_from_process_environment() {
  return rendezvous_from_environment(process_variable, slurm_first_host);
}

bool is_loopback_address(const std::string& host) {
  static const std::regex kLoopback("localhost|127(\\.[0-9]{1,3}){3}|::1");
  return std::regex_match(host, kLoopback);
}

std::string describe(const Rendezvous& r) { return fmt::format("rank {}/{} ({})", r.rank, r.world_size, r.style); }

}  // namespace sprout::backend
