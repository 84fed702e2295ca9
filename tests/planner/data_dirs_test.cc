// SPDX-License-Identifier: GPL-3.0-or-later
// Where profiles and plans are found (base/data_dirs.h): never a path
// compiled in; a test binary in the build tree finds the source tree.
#include "sprout/planner/base/data_dirs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string normal(const std::string& p) { return fs::weakly_canonical(p).string(); }

TEST(DataDirs, ABuildTreeProgramFindsItsSourceTree) {
  ScopedEnv no_data("SPROUT_DATA_DIR", "");
  const std::vector<std::string> dirs = data_dirs();
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(normal(dirs.front()), normal(test::source_path("")));
  const auto published = find_data_file("plans/validation/published.yaml");
  ASSERT_TRUE(published);
  EXPECT_EQ(normal(*published), normal(test::source_path("plans/validation/published.yaml")));
  EXPECT_FALSE(find_data_file("plans/no-such-plan.yaml"));
}

TEST(DataDirs, SproutDataDirComesFirstAndXdgDataDirsLast) {
  const std::string a = test::make_temp_dir("data-a"), b = test::make_temp_dir("data-b");
  fs::create_directories(a + "/profiles/hardware");
  fs::create_directories(b + "/sprout/profiles/hardware");
  ScopedEnv data("SPROUT_DATA_DIR", a);
  ScopedEnv xdg("XDG_DATA_DIRS", "/no/such/dir:" + b);
  const std::vector<std::string> dirs = data_dirs();
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(normal(dirs.front()), normal(a));
  EXPECT_EQ(normal(dirs.back()), normal(b + "/sprout"));
  for (const auto& d : dirs) EXPECT_NE(d.find("/no/such/dir"), 0u) << "directories that do not exist are left out";
}

TEST(DataDirs, ProfileSearchEndsInTheDataDirs) {
  ScopedEnv no_data("SPROUT_DATA_DIR", "");
  const std::vector<std::string> dirs = profile_search_dirs("");
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.front(), "profiles");  // the working directory's, before sprout's own
  bool found = false;
  for (const auto& d : dirs) found = found || normal(d) == normal(test::source_path("profiles"));
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sprout::planner
