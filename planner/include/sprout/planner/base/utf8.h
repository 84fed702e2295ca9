// SPDX-License-Identifier: GPL-3.0-or-later
// UTF-8 validation of text read from input files. Every string that reaches
// JSON output must be valid UTF-8 (nlohmann::json::dump throws
// type_error.316 otherwise), so the readers check text where they read it and
// report the field, not the writer that fails much later.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace sprout::planner {

// The byte offset of the first byte that does not start or continue a
// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at
// most U+10FFFF); nullopt when all of `text` is valid.
std::optional<size_t> first_invalid_utf8(std::string_view text);

}  // namespace sprout::planner
