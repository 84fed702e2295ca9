// SPDX-License-Identifier: GPL-3.0-or-later
// sprout profile --out profiles/hardware/NAME.yaml [--quick] [--dtype fp32|bf16|bf16,fp32]
//                [--threads N] [--base PROFILE] [--scratch DIR]
// Measures this machine (LibTorch) and writes a hardware profile the planner
// uses like any other. Needs the backend (LibTorch), loaded for this only
// (profile_probe_loader.h); without it, exit 1.
// sprout profile --merge A.yaml B.yaml [...] --out NAME.yaml
// Writes the median of profiles measured before (planner/io/profile_median.h);
// needs no LibTorch.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/profile_median.h"

#ifdef SPROUT_HAS_BACKEND
#include "profile_probe_loader.h"
#endif

namespace sprout::cli {

namespace {
struct ProfileArgs {
  std::string out;
  bool quick = false;
  std::string dtype = "fp32";
  int threads = 0;
  std::string base = "cpu-generic";
  std::string scratch;
  std::string name;
  std::vector<std::string> merge;
};

void write_median_profile(const ProfileArgs& a) {
  const std::string name = a.name.empty() ? std::filesystem::path(a.out).stem().string() : a.name;
  const planner::MergedProfile merged = planner::median_of_profiles(a.merge, name);
  planner::write_file_atomically(
      a.out, planner::hardware_profile_to_yaml(merged.profile, merged.sources,
                                               fmt::format("median of {} profiles", a.merge.size())));
  const planner::HardwareProfile& hw = merged.profile;
  std::cout << fmt::format(
      "wrote {}: the median of {} profiles: peak {:.3g} TFLOP/s, memory {:.1f} GB/s, dispatch {:.1f} us, "
      "checkpoint write {:.2f} GB/s\n",
      a.out, a.merge.size(), hw.peak_tflops, hw.hbm_gb_per_s, hw.kernel_overhead_us, hw.checkpoint_write_gb_per_s);
}
}  // namespace

void add_profile_command(CLI::App& app, char** argv) {
  auto* cmd = app.add_subcommand("profile", "Measure this machine and write a hardware profile");
  auto a = std::make_shared<ProfileArgs>();
  cmd->add_option("--out", a->out, "Profile to write (YAML)")->required();
  cmd->add_flag("--quick", a->quick,
                "Fewer shapes and smaller buffers: 20-35 s a dtype on a 2-core machine, where the full profile of two "
                "dtypes takes about 7 min");
  cmd->add_option("--dtype", a->dtype,
                  "Precision the trainer will use: fp32 | bf16, or both (bf16,fp32: the first is the profile's "
                  "dtype, the others go into throughput_by_dtype; a plan picks its training.dtype's)")
      ->check(CLI::IsMember({"fp32", "bf16", "bf16,fp32", "fp32,bf16"}));
  cmd->add_option("--threads", a->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--base", a->base, "Profile for what cannot be measured here (power, network, price)");
  cmd->add_option("--scratch", a->scratch,
                  "Directory whose disk the checkpoint-write test uses (default: next to --out)");
  cmd->add_option("--name", a->name, "Profile name (default: the file name)");
  auto* merge =
      cmd->add_option("--merge", a->merge,
                      "Measure nothing: write the median of these profiles of this machine, number by number (two "
                      "or more, taken with the same options minutes apart: one profile of a machine whose speed "
                      "drifts is one sample of that drift)")
          ->expected(2, 1 << 20)
          ->check(CLI::ExistingFile);
  for (const char* measuring : {"--quick", "--dtype", "--threads", "--base", "--scratch"}) {
    merge->excludes(cmd->get_option(measuring));
  }
  cmd->callback([a, argv] {
    if (!a->merge.empty()) return write_median_profile(*a);
#ifdef SPROUT_HAS_BACKEND
    backend::ProbeOptions o;
    o.quick = a->quick;
    const auto comma = a->dtype.find(',');
    o.dtype = a->dtype.substr(0, comma);
    if (comma != std::string::npos) o.other_dtypes.push_back(a->dtype.substr(comma + 1));
    o.threads = a->threads;
    o.base = planner::find_hardware_profile(a->base);
    o.base_source = o.base.source_file;
    namespace fs = std::filesystem;
    o.name = a->name.empty() ? fs::path(a->out).stem().string() : a->name;
    o.scratch_dir = a->scratch.empty() ? fs::absolute(a->out).parent_path().string() : a->scratch;
    o.progress = [](const std::string& line) { std::cerr << "sprout profile: " << line << "\n"; };
    // LibTorch is loaded only now, after the options are checked.
    const backend::ProfileProbeModule& module = profile_probe_module();
    module.prepare_process(argv);
    backend::ProbeResult r = module.probe(o);
    for (const std::string& warning : r.warnings) std::cerr << "sprout profile: warning: " << warning << "\n";
    r.profile.description = fmt::format("{} (measured; base {})", o.base.description, o.base.name);
    planner::write_file_atomically(
        a->out, planner::hardware_profile_to_yaml(r.profile, r.sources, "as in the base profile " + o.base_source));
    std::cout << fmt::format(
        "wrote {} in {:.1f} s: peak {:.3g} TFLOP/s ({}), memory {:.1f} GB/s, dispatch {:.1f} us, "
        "checkpoint write {:.2f} GB/s\n",
        a->out, r.seconds, r.profile.peak_tflops, a->dtype, r.profile.hbm_gb_per_s, r.profile.kernel_overhead_us,
        r.profile.checkpoint_write_gb_per_s);
#else
    throw std::runtime_error(
        "sprout profile measures with LibTorch, and this sprout was built without it "
        "(install libtorch-dev and rebuild)");
#endif
  });
}

}  // namespace sprout::cli
