// SPDX-License-Identifier: GPL-3.0-or-later
// tests/data/bad/*.yaml: each file says in its first two lines what the error
// must contain and on which line it must point. Loading must throw InputError
// with `file:line:col: field: reason`, never crash or default silently.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

struct Expectation {
  std::string text;
  int line = 0;
};

Expectation read_expectation(const std::string& path) {
  std::ifstream in(path);
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  Expectation e;
  e.text = l1.substr(std::string("# expect: ").size());
  e.line = std::stoi(l2.substr(std::string("# expect-line: ").size()));
  return e;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path(dir))) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_error(const std::string& file, const std::function<void()>& action) {
  const Expectation e = read_expectation(file);
  try {
    action();
    ADD_FAILURE() << file << ": no error";
  } catch (const InputError& err) {
    const std::string msg = err.what();
    EXPECT_EQ(msg.rfind(file + ":" + std::to_string(e.line) + ":", 0), 0u)
        << "expected " << file << ":" << e.line << ": got " << msg;
    bool any = false;  // "a|b" accepts either text
    size_t start = 0;
    while (start <= e.text.size()) {
      size_t bar = e.text.find('|', start);
      std::string alt = e.text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
      any = any || msg.find(alt) != std::string::npos;
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    EXPECT_TRUE(any) << "expected '" << e.text << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "error must be one line: " << msg;
  } catch (const std::exception& other) {
    ADD_FAILURE() << file << ": wrong exception type: " << other.what();
  }
}

TEST(BadInput, EveryCatalogueFileIsRejectedWithFileLineAndField) {
  const auto files = files_in("tests/data/bad");
  ASSERT_GE(files.size(), 20u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    expect_error(f, [&] { load_plan(f); });
  }
}

TEST(BadInput, ImpossibleLayoutsAreRejectedWhenEstimating) {
  for (const auto& f : files_in("tests/data/bad-estimate")) {
    SCOPED_TRACE(f);
    expect_error(f, [&] { estimate_plan(load_plan(f)); });
  }
}

TEST(BadInput, MissingPlanFileNamesThePath) {
  try {
    load_plan("/nonexistent/plan.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/plan.yaml: cannot open file"), std::string::npos) << e.what();
  }
}

TEST(BadInput, HardwareProfileWithMissingFieldIsRejected) {
  const std::string dir = test::make_temp_dir("profile");
  std::ofstream(dir + "/gpu.yaml") << "name: gpu\npeak_tflops: 100\n";
  try {
    load_hardware_profile(dir + "/gpu.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("gemm_efficiency: missing (required)"), std::string::npos) << e.what();
  }
}

// Found by fuzzing: yaml-cpp's "unknown escape character" message ends in the
// character itself, a line break; the CLI's error must stay one line.
TEST(BadInput, ControlCharactersInAReasonAreEscaped) {
  const InputError e({"p.yaml", 4, 1}, "name", "unknown escape character: \n, \r, \x01 and\ttab");
  EXPECT_STREQ(e.what(), "p.yaml:4:1: name: unknown escape character: \\n, \\r, \\x01 and\ttab");
  EXPECT_EQ(e.reason(), "unknown escape character: \n, \r, \x01 and\ttab");  // as given
}

}  // namespace
}  // namespace sprout::planner
