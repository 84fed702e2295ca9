# SPDX-License-Identifier: GPL-3.0-or-later
# Warnings as errors for sprout's own code only (third-party headers are
# included as SYSTEM by their imported targets).
function(sprout_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-error=deprecated-declarations)
endfunction()
