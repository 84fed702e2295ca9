// SPDX-License-Identifier: GPL-3.0-or-later
#include "comm/rank_agreement.h"

#include <fmt/format.h>

#include <exception>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

// Sums of the parameters' bit patterns as integers: exact, so the order of
// summation (threads) cannot change it.
double bit_checksum(const torch::Tensor& p) {
  torch::Tensor t = p.detach().to(torch::kCPU).contiguous();
  switch (t.element_size()) {
    case 2:
      t = t.view(torch::kShort);
      break;
    case 4:
      t = t.view(torch::kInt);
      break;
    case 8:
      t = t.view(torch::kLong);
      break;
    default:
      t = t.view(torch::kByte);
      break;
  }
  return static_cast<double>(t.to(torch::kLong).sum().item<int64_t>());
}

}  // namespace

void run_on_every_rank(Communicator& comm, const std::function<void()>& work) {
  std::exception_ptr error;
  bool input_error = false;
  try {
    work();
  } catch (const planner::InputError&) {
    error = std::current_exception();
    input_error = true;
  } catch (const std::exception&) {
    error = std::current_exception();
  }
  if (comm.world_size() == 1) {
    if (error) std::rethrow_exception(error);
    return;
  }
  // Per rank: 1 = bad input, 2 = another failure.
  std::vector<double> failed(static_cast<size_t>(comm.world_size()), 0.0);
  failed[static_cast<size_t>(comm.rank())] = error ? (input_error ? 1.0 : 2.0) : 0.0;
  failed = sum_over_ranks(comm, failed);
  if (error) std::rethrow_exception(error);
  for (size_t r = 0; r < failed.size(); ++r) {
    if (failed[r] == 0) continue;
    const std::string who = fmt::format("rank {}/{}", comm.rank(), comm.world_size());
    if (failed[r] == 1) {
      throw planner::InputError({"sprout-train", 0, 0}, who,
                                fmt::format("stopped: rank {} found bad input (its message says which)", r));
    }
    throw std::runtime_error(fmt::format("{}: stopped: rank {} failed (its message says why)", who, r));
  }
}

void check_replicas_agree(Communicator& comm, const std::vector<double>& counters,
                          const std::vector<torch::Tensor>& parameters, const std::string& when) {
  if (comm.world_size() == 1) return;
  std::vector<double> mine = counters;
  for (const auto& p : parameters) mine.push_back(bit_checksum(p));
  std::vector<torch::Tensor> root = {torch::tensor(mine, torch::kFloat64)};
  comm.broadcast(root, 0);
  const bool differs = !torch::equal(root[0], torch::tensor(mine, torch::kFloat64));
  std::vector<double> differing(static_cast<size_t>(comm.world_size()), 0.0);
  differing[static_cast<size_t>(comm.rank())] = differs ? 1.0 : 0.0;
  differing = sum_over_ranks(comm, differing);
  std::string ranks;
  for (size_t r = 0; r < differing.size(); ++r) {
    if (differing[r] > 0) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  }
  if (!ranks.empty()) {
    throw std::runtime_error(
        fmt::format("{}: the model or step of rank(s) {} differs from rank 0's; the ranks "
                    "would train different models",
                    when, ranks));
  }
}

}  // namespace sprout::backend
