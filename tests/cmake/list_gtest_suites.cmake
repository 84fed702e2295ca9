# SPDX-License-Identifier: GPL-3.0-or-later
# Run after a test binary is built (POST_BUILD, tests/CMakeLists.txt):
# writes CTEST_FILE, one ctest per GoogleTest suite of TEST_EXECUTABLE
# ("Suite.*"), each run through scripts/run-gtest-suite.sh.
#   cmake -D TEST_EXECUTABLE=... -D TEST_TARGET=... -D CTEST_FILE=...
#         -D WORKING_DIRECTORY=... -D SUITE_RUNNER=... -P list_gtest_suites.cmake
# Why suites and not tests: a binary that loads LibTorch or Qt spends
# ~0.7 s starting, and its tests milliseconds each (docs/reliability.md
# "What `make test` runs").
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
  WORKING_DIRECTORY "${WORKING_DIRECTORY}"
  RESULT_VARIABLE list_status
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE list_errors
  TIMEOUT 60)
if(NOT list_status EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${list_status}): ${list_errors}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # A suite's line starts in column 0 and ends its name with '.'; a typed or
  # parameterised suite adds "  # TypeParam = ..." after it.
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    list(APPEND suites "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES suites)
if(NOT suites)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test suite")
endif()
set(script "")
set(names "")
foreach(suite IN LISTS suites)
  set(test_name "${suite}.*")
  string(APPEND script
    "add_test([==[${test_name}]==] \"${SUITE_RUNNER}\" \"${TEST_EXECUTABLE}\" [==[${suite}]==])\n"
    "set_tests_properties([==[${test_name}]==] PROPERTIES WORKING_DIRECTORY \"${WORKING_DIRECTORY}\" SKIP_RETURN_CODE 77)\n")
  list(APPEND names "${test_name}")
endforeach()
string(APPEND script "set(${TEST_TARGET}_TESTS [==[${names}]==])\n")
file(WRITE "${CTEST_FILE}.tmp" "${script}")
file(RENAME "${CTEST_FILE}.tmp" "${CTEST_FILE}")
