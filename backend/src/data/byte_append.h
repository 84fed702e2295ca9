// SPDX-License-Identifier: GPL-3.0-or-later
// How the binary files (token shards, Megatron-LM indexes, tensor archives)
// are written: a value's bytes as this machine holds them (little-endian on
// every platform sprout builds for), appended.
#pragma once

#include <string>
#include <type_traits>

namespace sprout::backend {

template <typename T>
void append_bytes(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace sprout::backend
