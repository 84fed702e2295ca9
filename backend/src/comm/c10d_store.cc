// SPDX-License-Identifier: GPL-3.0-or-later
#include "comm/c10d_store.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <thread>

#include "comm/communicator.h"

namespace sprout::backend {

std::string one_line_cause(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  text = text.substr(0, text.find('\n'));
  // Gloo prefixes its messages with "[/path/to/source.cc:123] ".
  if (!text.empty() && text.front() == '[') {
    if (const size_t close = text.find("] "); close != std::string::npos) text = text.substr(close + 2);
  }
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown error" : text;
}

std::string collective_failure(const std::string& op, int rank, int world_size, const std::string& backend,
                               const std::string& cause, std::chrono::milliseconds timeout) {
  return fmt::format(
      "{} failed on rank {}/{} ({}): {}; a peer rank died or did not answer within {} s "
      "(training.collective_timeout_s)",
      op, rank, world_size, backend, cause, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
}

c10::intrusive_ptr<c10d::Store> connect_store(const Rendezvous& r, std::chrono::milliseconds rendezvous_timeout,
                                              std::chrono::milliseconds collective_timeout) {
  auto failed = [&](const std::string& cause) {
    return CollectiveError(
        fmt::format("rendezvous at {}:{} failed on rank {}/{}: {}; not all {} ranks arrived within {} s "
                    "(training.collective_timeout_s)",
                    r.master_addr, r.master_port, r.rank, r.world_size, cause, r.world_size,
                    std::chrono::duration_cast<std::chrono::seconds>(rendezvous_timeout).count()));
  };
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(r.master_port);
  o.isServer = r.rank == 0;
  o.numWorkers = static_cast<std::size_t>(r.world_size);
  o.waitWorkers = false;  // the count below waits, with a message of ours
  o.timeout = rendezvous_timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(r.master_addr, o);
    // Every rank counts itself in, then waits for the others: ranks start
    // at different times (a pod pulling its image), and once all are here
    // the Gloo mesh connects within the collective timeout.
    store->add("sprout/arrived", 1);
    const auto deadline = std::chrono::steady_clock::now() + rendezvous_timeout;
    int64_t arrived = 0;
    while ((arrived = store->add("sprout/arrived", 0)) < r.world_size) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw failed(fmt::format("{} of {} ranks arrived", arrived, r.world_size));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const CollectiveError&) {
    throw;
  } catch (const std::exception& e) {
    throw failed(one_line_cause(e));
  }
  store->setTimeout(collective_timeout);
  return store;
}

}  // namespace sprout::backend
