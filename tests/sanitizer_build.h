// SPDX-License-Identifier: GPL-3.0-or-later
// Whether this test was compiled with AddressSanitizer (make test-sanitize):
// then sprout-train cannot load its SentencePiece module (it is dlopen()ed
// with RTLD_DEEPBIND, which the sanitizer runtime refuses: google/sanitizers
// issue 611; docs/reliability.md "Sanitizers"), and the tests that train a
// SentencePiece tokenizer are skipped, saying so.
#pragma once

namespace sprout::test {

#if defined(SPROUT_ADDRESS_SANITIZER)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

inline constexpr const char* kNoSentencePieceUnderSanitizers =
    "SentencePiece cannot be loaded under AddressSanitizer (RTLD_DEEPBIND, google/sanitizers#611)";

}  // namespace sprout::test
