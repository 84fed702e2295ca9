// SPDX-License-Identifier: GPL-3.0-or-later
// SHA-256 (FIPS 180-4): the fingerprint a prepared dataset's tokenizer record
// keeps of its tokenizer model, so data and model cannot silently part.
#pragma once

#include <string>
#include <string_view>

namespace sprout::backend {

// Lower-case hex digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace sprout::backend
