# SPDX-License-Identifier: GPL-3.0-or-later
# Installation (GNUInstallDirs) and the Debian package (`cpack -G DEB` in the
# build directory; docs/environment.md "Install"):
#   bin/sprout, bin/sprout-train, bin/sprout-gui       (those built)
#   lib/sprout/libsprout_sentencepiece.so              sprout-train's SentencePiece module
#   lib/sprout/libsprout_profile_probe.so              `sprout profile`'s LibTorch half
#   share/sprout/{profiles,plans}                      found at run time relative to the
#                                                      executable (planner/base/data_dirs.h)
#   share/man/man1/*.1.gz                              help2man, from each program's --help
#   share/bash-completion/completions/{sprout,sprout-train}
# The package's Depends are computed by dpkg-shlibdeps from the binaries.
foreach(program sprout sprout-train sprout-gui)
  if(TARGET ${program})
    # Libraries outside the system's directories (PyTorch's LibTorch for GPU
    # builds) stay found after installation; Debian's need no RPATH.
    set_target_properties(${program} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
# sprout-train's SentencePiece module (dlopen'ed, backend/src/data/sentencepiece_tokenizer.cc) in
# lib/sprout of the prefix: the loader looks in ../lib/sprout of the running program, so it is found
# wherever the prefix is (Debian policy: a package's private modules in /usr/lib/<package>).
if(TARGET sprout_sentencepiece)
  install(TARGETS sprout_sentencepiece LIBRARY DESTINATION lib/sprout)
endif()
# `sprout profile`'s LibTorch half (sprout/backend/profile_probe_module.h), found the same way.
if(TARGET sprout_profile_probe)
  set_target_properties(sprout_profile_probe PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
  install(TARGETS sprout_profile_probe LIBRARY DESTINATION lib/sprout)
endif()
install(DIRECTORY profiles plans DESTINATION ${CMAKE_INSTALL_DATADIR}/sprout)
foreach(command sprout sprout-train)
  install(FILES cli/completion/sprout.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME ${command})
endforeach()

# Man pages: help2man (Debian package help2man) runs each program's --help and
# --version; `sprout`'s page also carries every subcommand's --help.
find_program(SPROUT_HELP2MAN help2man)
if(SPROUT_HELP2MAN)
  set(_sprout_man_pages)
  foreach(program sprout sprout-train sprout-gui)
    if(TARGET ${program})
      set(_page "${CMAKE_BINARY_DIR}/man/${program}.1")
      add_custom_command(OUTPUT "${_page}" "${_page}.gz"
                         COMMAND "${CMAKE_SOURCE_DIR}/scripts/make-man-page.sh" "${SPROUT_HELP2MAN}"
                                 "$<TARGET_FILE:${program}>" "${_page}"
                         DEPENDS ${program} "${CMAKE_SOURCE_DIR}/scripts/make-man-page.sh"
                         COMMENT "help2man ${program}" VERBATIM)
      list(APPEND _sprout_man_pages "${_page}.gz")
    endif()
  endforeach()
  add_custom_target(man ALL DEPENDS ${_sprout_man_pages})
  install(FILES ${_sprout_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "sprout: help2man not found, no man pages (scripts/install-deps.sh installs it)")
endif()

set(CPACK_PACKAGE_NAME sprout)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "sprout developers <sprout@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "plan, simulate, run and check growth training of large language models")
set(CPACK_PACKAGE_DESCRIPTION
    "sprout plans growth schedules for LLM training (time, GPU-hours, cost, energy, CO2e), simulates their runs, trains them with LibTorch (sprout-train) and compares runs with plans; with hardware and region profiles.")
set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the RelWithDebInfo binaries are mostly debug info
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# sprout-train's default corpus is the fortunes package's text; tab completion needs bash-completion.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fortunes-min | fortunes, bash-completion")
include(CPack)
