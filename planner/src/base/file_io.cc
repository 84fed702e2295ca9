// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/file_io.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sprout/planner/base/input_error.h"

namespace sprout::planner {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(err));
}

[[noreturn]] void fail(const std::string& what, const std::string& path) { fail(what, path, errno); }

struct FaultInjection {
  long long kill_at = 0;  // SPROUT_FAULT_AT; 0: never
  std::string trace;      // SPROUT_FAULT_TRACE; "": none
  bool active() const { return kill_at > 0 || !trace.empty(); }
};

const FaultInjection& fault_injection() {
  static const FaultInjection f = [] {
    FaultInjection out;
    if (const char* at = std::getenv("SPROUT_FAULT_AT")) out.kill_at = std::atoll(at);
    if (const char* trace = std::getenv("SPROUT_FAULT_TRACE")) out.trace = trace;
    return out;
  }();
  return f;
}

std::atomic<long long> file_steps{0};

}  // namespace

void file_step(const char* kind, const std::string& path) {
  const FaultInjection& f = fault_injection();
  if (!f.active()) return;
  const long long n = ++file_steps;
  if (!f.trace.empty()) {
    const std::string line = std::to_string(n) + " " + kind + " " + path + "\n";
    const int fd = ::open(f.trace.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      [[maybe_unused]] const ssize_t written = ::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  if (n == f.kill_at) ::kill(::getpid(), SIGKILL);
}

void remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail("cannot remove", path);
  }
  // Depth first (children before their directory), links not followed.
  auto remove_entry = [](const char* entry, const struct stat*, int, struct FTW*) -> int {
    file_step("remove", entry);
    return ::remove(entry) == 0 || errno == ENOENT ? 0 : -1;
  };
  if (::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) fail("cannot remove", path);
}

void fsync_directory(const std::string& dir) {
  file_step("fsync-dir", dir);
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("cannot open directory to sync", dir);
  ::fsync(fd);  // some filesystems refuse fsync on directories; the rename stands anyway
  ::close(fd);
}

namespace {

// write_file_synced; errors name `named` (an atomic write's target, not its temporary file).
void write_synced(const std::string& path, std::string_view contents, const std::string& named) {
  file_step("create", path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", named);
  // Under fault injection the bytes go in two halves, so a kill can leave
  // half a file (file_step "write" between them).
  const size_t first_part = fault_injection().active() ? contents.size() / 2 : contents.size();
  size_t done = 0;
  bool halfway = false;
  while (done < contents.size()) {
    if (!halfway && done == first_part) {
      halfway = true;
      file_step("write", path);
    }
    const size_t end = done < first_part ? first_part : contents.size();
    const ssize_t n = ::write(fd, contents.data() + done, end - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("write failed", named, err);
    }
    done += static_cast<size_t>(n);
  }
  file_step("fsync", path);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync failed", named, err);
  }
  if (::close(fd) != 0) fail("close failed", named);
}

}  // namespace

void write_file_synced(const std::string& path, std::string_view contents) { write_synced(path, contents, path); }

void write_file_atomically(const std::string& path, std::string_view contents) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error(path + ": cannot create directory: " + ec.message());
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_synced(tmp, contents, path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  file_step("rename", path);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("rename failed", path, err);
  }
  fsync_directory(dir.string());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "", std::string("cannot open file: ") + std::strerror(errno));
  // A directory opens like a file on Linux and then reads as empty.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError({path, 0, 0}, "", "cannot read file: is a directory");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError({path, 0, 0}, "", "cannot read file");
  return ss.str();
}

}  // namespace sprout::planner
