# SPDX-License-Identifier: GPL-3.0-or-later
# The one version source is project(sprout VERSION ...) in the top CMakeLists.txt.
# This writes it, with the commit the tree was configured at, into
# <build>/generated/sprout_version_info.h, read by planner/src/base/version.cc
# alone (so a new commit recompiles one file). "unknown" without git.
find_package(Git QUIET)
set(SPROUT_GIT_COMMIT "unknown")
if(GIT_FOUND AND EXISTS "${CMAKE_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty
                  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
                  OUTPUT_VARIABLE _sprout_describe OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _sprout_describe_rc ERROR_QUIET)
  if(_sprout_describe_rc EQUAL 0 AND _sprout_describe)
    set(SPROUT_GIT_COMMIT "${_sprout_describe}")
  endif()
endif()
set(SPROUT_GENERATED_DIR "${CMAKE_BINARY_DIR}/generated")
configure_file("${CMAKE_SOURCE_DIR}/cmake/version_info.h.in" "${SPROUT_GENERATED_DIR}/sprout_version_info.h" @ONLY)
message(STATUS "sprout ${PROJECT_VERSION} (commit ${SPROUT_GIT_COMMIT})")
