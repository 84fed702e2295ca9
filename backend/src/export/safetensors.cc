// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

uint64_t read_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string u64_le(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// Elements x bytes per element, or nullopt-like max on overflow.
uint64_t byte_count(const std::vector<int64_t>& shape, uint64_t element_bytes) {
  uint64_t n = element_bytes;
  for (int64_t d : shape) {
    const auto u = static_cast<uint64_t>(d);
    if (u != 0 && n > std::numeric_limits<uint64_t>::max() / u) return std::numeric_limits<uint64_t>::max();
    n *= u;
  }
  return n;
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& j, const std::string& path) {
  const std::string field = "tensors." + name;
  if (!j.is_object()) planner::throw_file_error(path, field, "not an object");
  for (const auto& [key, value] : j.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      planner::throw_file_error(path, field + "." + key, "unknown key");
  }
  SafetensorsEntry e;
  e.name = name;
  if (!j.contains("dtype") || !j["dtype"].is_string())
    planner::throw_file_error(path, field + ".dtype", "missing or not a string");
  e.dtype = j["dtype"].get<std::string>();
  const uint64_t element_bytes = safetensors_dtype_bytes(e.dtype);
  if (element_bytes == 0) planner::throw_file_error(path, field + ".dtype", "unknown dtype " + e.dtype);
  if (!j.contains("shape") || !j["shape"].is_array())
    planner::throw_file_error(path, field + ".shape", "missing or not an array");
  for (const auto& d : j["shape"]) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      planner::throw_file_error(path, field + ".shape", "not a list of non-negative integers: " + j["shape"].dump());
    }
    e.shape.push_back(d.get<int64_t>());
  }
  const auto& offsets = j.contains("data_offsets") ? j["data_offsets"] : nlohmann::json();
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    planner::throw_file_error(path, field + ".data_offsets", "missing or not two non-negative integers");
  }
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  if (e.end < e.begin)
    planner::throw_file_error(path, field + ".data_offsets", fmt::format("end {} before begin {}", e.end, e.begin));
  const uint64_t expected = byte_count(e.shape, element_bytes);
  if (e.end - e.begin != expected) {
    planner::throw_file_error(
        path, field + ".data_offsets",
        fmt::format("{} bytes, but shape {} of {} needs {}", e.end - e.begin, j["shape"].dump(), e.dtype, expected));
  }
  return e;
}

// The entries cover [0, data_bytes) contiguously, each byte once.
void check_coverage(std::vector<SafetensorsEntry>& tensors, uint64_t data_bytes, const std::string& path) {
  std::sort(tensors.begin(), tensors.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t at = 0;
  for (const auto& t : tensors) {
    if (t.begin != at) {
      planner::throw_file_error(path, "tensors." + t.name + ".data_offsets",
                                fmt::format("begins at {}, but the previous tensor ends at {} ({})", t.begin, at,
                                            t.begin < at ? "overlap" : "hole"));
    }
    at = t.end;
  }
  if (at != data_bytes) {
    planner::throw_file_error(
        path, "data_offsets",
        fmt::format("the tensors cover {} data bytes, but the file holds {} after the header", at, data_bytes));
  }
}

}  // namespace

uint64_t safetensors_dtype_bytes(const std::string& dtype) {
  static const std::map<std::string, uint64_t> kBytes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  const auto it = kBytes.find(dtype);
  return it == kBytes.end() ? 0 : it->second;
}

SafetensorsHeader parse_safetensors_header(std::span<const char> head, uint64_t file_bytes, const std::string& path) {
  if (file_bytes < 8 || head.size() < 8) {
    planner::throw_file_error(path, "header length",
                              fmt::format("the file has {} bytes, fewer than the 8-byte length prefix", file_bytes));
  }
  const uint64_t n = read_u64_le(head.data());
  if (n > kSafetensorsMaxHeaderBytes) {
    planner::throw_file_error(path, "header length",
                              fmt::format("{} bytes, more than the limit of {}", n, kSafetensorsMaxHeaderBytes));
  }
  if (n > file_bytes - 8) {
    planner::throw_file_error(path, "header length",
                              fmt::format("{} bytes, but only {} follow the length prefix", n, file_bytes - 8));
  }
  if (head.size() < 8 + n) planner::throw_file_error(path, "header length", "header not read completely");
  const std::string_view text(head.data() + 8, n);
  if (n == 0 || text.front() != '{') planner::throw_file_error(path, "header", "does not start with '{'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    planner::throw_file_error(path, "header", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) planner::throw_file_error(path, "header", "not a JSON object");
  SafetensorsHeader out;
  out.data_start = 8 + n;
  for (const auto& [key, value] : j.items()) {
    if (key != "__metadata__") {
      out.tensors.push_back(parse_entry(key, value, path));
      continue;
    }
    if (!value.is_object()) planner::throw_file_error(path, "__metadata__", "not an object");
    for (const auto& [mk, mv] : value.items()) {
      if (!mv.is_string()) planner::throw_file_error(path, "__metadata__." + mk, "not a string");
      out.metadata[mk] = mv.get<std::string>();
    }
  }
  check_coverage(out.tensors, file_bytes - out.data_start, path);
  return out;
}

std::string safetensors_header_bytes(const std::vector<SafetensorsTensorSource>& tensors,
                                     const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json j;
  if (!metadata.empty()) j["__metadata__"] = metadata;
  uint64_t at = 0;
  for (const auto& t : tensors) {
    const uint64_t element_bytes = safetensors_dtype_bytes(t.dtype);
    if (element_bytes == 0) throw std::invalid_argument("safetensors: unknown dtype " + t.dtype);
    const uint64_t n = byte_count(t.shape, element_bytes);
    j[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {at, at + n}}};
    at += n;
  }
  std::string text = j.dump();
  // Spaces up to a multiple of 8, so the data (at 8 + N) is 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  return u64_le(text.size()) + text;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsTensorSource>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  auto fail = [&](const std::string& why) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw std::runtime_error(why);
  };
  auto put = [&](const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail(fmt::format("{}: write failed: {}", tmp, std::strerror(errno)));
      done += static_cast<size_t>(w);
    }
  };
  put(safetensors_header_bytes(tensors, metadata));
  for (const auto& t : tensors) {
    const std::string bytes = t.bytes();
    if (bytes.size() != byte_count(t.shape, safetensors_dtype_bytes(t.dtype))) {
      fail(fmt::format("safetensors: tensor {} produced {} bytes, not its shape's", t.name, bytes.size()));
    }
    put(bytes);
  }
  if (::fsync(fd) != 0) fail(fmt::format("{}: fsync failed: {}", tmp, std::strerror(errno)));
  ::close(fd);
  // POSIX rename, not std::filesystem (file_io.h: LibTorch exports its own copies of some of it).
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path, why));
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  planner::fsync_directory(dir.empty() ? "." : dir);
}

}  // namespace sprout::backend
