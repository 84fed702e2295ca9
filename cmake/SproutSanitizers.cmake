# SPDX-License-Identifier: GPL-3.0-or-later
# Instrumented builds (docs/reliability.md), each in its own build folder:
#   SPROUT_FUZZ=ON      clang only: -fsanitize=fuzzer-no-link,address,undefined on
#                       every target; tests/fuzz/ adds the libFuzzer targets
#                       (`make fuzz`, build-fuzz/)
#   SPROUT_SANITIZE=ON  gcc or clang: -fsanitize=address,undefined on every
#                       target, the whole ctest suite runs instrumented
#                       (`make test-sanitize`, build-sanitize/)
# Both stop at the first finding (-fno-sanitize-recover): a UBSan report fails
# the test instead of scrolling past. LibTorch and Qt are not instrumented.
option(SPROUT_FUZZ "Build the libFuzzer targets of tests/fuzz/ (clang only)" OFF)
option(SPROUT_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

set(_sanitizers "")
if(SPROUT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SPROUT_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++ (make fuzz does)")
  endif()
  set(_sanitizers "fuzzer-no-link,address,undefined")
elseif(SPROUT_SANITIZE)
  set(_sanitizers "address,undefined")
endif()
if(_sanitizers)
  add_compile_options(-fsanitize=${_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# GCC 12 instrumenting for ASan reports "may be used uninitialized" inside
# libstdc++'s <regex> (std::function moved in _NFA::_M_insert_subexpr_*): a
# false positive in the library's code, not sprout's, that -Werror turns into
# a failed build. Only the files that include <regex> lose that one warning,
# and only in the sanitizer build. Called at the end of the top-level
# CMakeLists.txt, when every directory is known.
function(sprout_sanitizer_source_exceptions)
  if(NOT SPROUT_SANITIZE OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  # directory that defines the target | the file in it
  set(regex_users planner|src/export/cluster_export.cc cli|search_command.cc
      tests/planner|megatron_export_test.cc tests/planner|plan_schema_test.cc tests/integration|cli_megatron_test.cc)
  foreach(entry ${regex_users})
    string(REPLACE "|" ";" parts ${entry})
    list(GET parts 0 dir)
    list(GET parts 1 file)
    if(dir MATCHES "^tests" AND NOT SPROUT_TESTS)
      continue()
    endif()
    set_source_files_properties(${CMAKE_SOURCE_DIR}/${dir}/${file} DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}
                                PROPERTIES COMPILE_OPTIONS -Wno-maybe-uninitialized)
  endforeach()
endfunction()
