# SPDX-License-Identifier: GPL-3.0-or-later
# Warnings as errors for sprout's own code only (third-party headers are
# included as SYSTEM by their imported targets).
# SPROUT_WERROR=OFF keeps the warnings but not as errors: for building
# against another compiler or LibTorch than Debian's (scripts/gpu-check.sh),
# whose new warnings should be read, not stop the build.
option(SPROUT_WERROR "Treat warnings in sprout's own code as errors" ON)
function(sprout_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-error=deprecated-declarations)
  # GCC 12 at -O3 (the Release build: container, .deb) reports -Wrestrict
  # and -Wmaybe-uninitialized inside libstdc++'s std::string (operator+, a
  # std::string member of an aggregate built in a conditional): false
  # positives of its flow analysis in the standard library (GCC bug 105329;
  # meta-bug 24639), not in sprout. The tested build (-O2) keeps both.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-Wno-restrict -Wno-maybe-uninitialized>)
  endif()
  if(SPROUT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
