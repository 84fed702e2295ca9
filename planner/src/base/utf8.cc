// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/utf8.h"

namespace sprout::planner {
namespace {

// Length of the sequence that `lead` starts and the allowed range of its
// second byte (RFC 3629, section 4 "Syntax of UTF-8 Byte Sequences"); 0 when
// `lead` cannot start one.
struct LeadByte {
  int length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
};

LeadByte lead_byte(unsigned char c) {
  if (c < 0x80) return {1};
  if (c >= 0xC2 && c <= 0xDF) return {2};
  if (c == 0xE0) return {3, 0xA0, 0xBF};
  if (c == 0xED) return {3, 0x80, 0x9F};  // no surrogates
  if (c >= 0xE1 && c <= 0xEF) return {3};
  if (c == 0xF0) return {4, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {4};
  if (c == 0xF4) return {4, 0x80, 0x8F};  // at most U+10FFFF
  return {};
}

}  // namespace

std::optional<size_t> first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const LeadByte lead = lead_byte(static_cast<unsigned char>(text[i]));
    if (lead.length == 0 || i + lead.length > text.size()) return i;
    for (int k = 1; k < lead.length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? lead.second_min : 0x80;
      const unsigned char max = k == 1 ? lead.second_max : 0xBF;
      if (c < min || c > max) return i;
    }
    i += lead.length;
  }
  return std::nullopt;
}

}  // namespace sprout::planner
