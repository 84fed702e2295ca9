// SPDX-License-Identifier: GPL-3.0-or-later
// Ranks of a data-parallel group for tests: threads of this process (unit
// tests) meeting at a free loopback port, as separate processes would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "comm/make_communicator.h"

namespace sprout::backend::test {

// A TCP port nothing listens on right now (the kernel's choice for port 0).
inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("no free TCP port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline Rendezvous loopback_rank(int rank, int world_size, int port) {
  Rendezvous r;
  r.style = "torchrun";
  r.rank = rank;
  r.world_size = world_size;
  r.local_rank = rank;
  r.local_world_size = world_size;
  r.master_addr = "127.0.0.1";
  r.master_port = port;
  return r;
}

// Runs body(comm) on `world_size` threads, each a Gloo rank (an NCCL rank on
// GPU r with `cuda`), and rethrows the first exception any of them threw.
// `timeout` is the collective timeout; the ranks may take 60 s to meet.
inline void run_ranks(int world_size, const std::function<void(Communicator&)>& body,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20), bool cuda = false) {
  const int port = free_tcp_port();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world_size));
  std::vector<std::thread> threads;
  for (int r = 0; r < world_size; ++r) {
    threads.emplace_back([&, r] {
      try {
        const torch::Device device =
            cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(r)) : torch::Device(torch::kCPU);
        auto comm = make_communicator(loopback_rank(r, world_size, port), device, timeout, std::chrono::seconds(60));
        body(*comm);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace sprout::backend::test
