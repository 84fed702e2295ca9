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
  # What code that cannot run under AddressSanitizer tests (sprout-train's
  # SentencePiece module, its tests): one definition for GCC and clang, which
  # spell the compiler's own macro differently (__SANITIZE_ADDRESS__,
  # __has_feature(address_sanitizer)).
  add_compile_definitions(SPROUT_ADDRESS_SANITIZER=1)
endif()
