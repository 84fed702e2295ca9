// SPDX-License-Identifier: GPL-3.0-or-later
// The one file module of every library. Every plan, profile, report and
// checkpoint file is written atomically: write a temporary file beside it,
// fsync it, rename it over the target, fsync the directory. A crash leaves
// either the old file or the new one, never half. Files inside a directory
// that is itself renamed into place afterwards (a checkpoint being written)
// only need write_file_synced.
#pragma once

#include <string>
#include <string_view>

namespace sprout::planner {

// Throws std::runtime_error naming the path on any failure; the target is
// untouched then.
void write_file_atomically(const std::string& path, std::string_view contents);

// Writes (creating or truncating) and fsyncs `path` in place, no rename: for
// files of a temporary directory that is published by renaming it. Throws
// std::runtime_error naming the path; the file may then be partly written.
void write_file_synced(const std::string& path, std::string_view contents);

// fsync a directory so a rename inside it is durable.
void fsync_directory(const std::string& dir);

// The whole file, bytes as they are. Throws InputError naming the file when it
// is missing or unreadable ("PATH: cannot open file: No such file or directory").
std::string read_file(const std::string& path);

// Removes `path` and everything under it (as std::filesystem::remove_all;
// nothing to do when it is absent); throws std::runtime_error naming the
// entry that could not be removed. Written on POSIX nftw, not on
// std::filesystem::remove_all: PyTorch's libtorch.so exports its own copy of
// that function, which executables linking it bind to, and that copy jumped
// to address 0 on an H200 machine (docs/backend.md "Building against
// PyTorch's LibTorch").
void remove_tree(const std::string& path);

// Test-only fault injection (docs/reliability.md "Fault injection"). Every
// step of the writers above (create, write, fsync, rename, directory fsync,
// remove) and of the checkpoint writer's directory rename calls this first,
// numbering the steps of the process from 1. With SPROUT_FAULT_AT=N in the
// environment the process SIGKILLs itself just before step N; with
// SPROUT_FAULT_TRACE=FILE it appends "N KIND PATH" to FILE for every step.
// Neither set (production): one test of a flag read once.
void file_step(const char* kind, const std::string& path);

}  // namespace sprout::planner
