// SPDX-License-Identifier: GPL-3.0-or-later
// One list of {value, "name"} pairs per enum, from which both directions come:
// the text a file or a flag spells and the enum the code switches on. Each
// enum's list sits beside the enum as a specialisation of EnumNameTable:
//
//   template <> struct EnumNameTable<Activation> {
//     static constexpr EnumName<Activation> entries[] = {{Activation::kGelu, "gelu"}, ...};
//   };
//
// A value may appear more than once (an alias, e.g. "color" beside
// "colour"); the first entry of a value is its name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// Specialised beside each enum with `static constexpr EnumName<E> entries[]`.
template <class E>
struct EnumNameTable;

template <class E>
struct EnumNames {
  static std::optional<E> parse(std::string_view text) {
    for (const EnumName<E>& e : EnumNameTable<E>::entries) {
      if (text == e.name) return e.value;
    }
    return std::nullopt;
  }

  // As parse; an unknown name is an InputError listing the names:
  // "'relu' is not one of gelu | swiglu" (the wording of YamlFields::choice).
  static E parse(std::string_view text, const SourceLocation& where, const std::string& field) {
    if (auto value = parse(text)) return *value;
    throw InputError(where, field, not_one_of(text));
  }

  static std::string not_one_of(std::string_view text) { return "'" + std::string(text) + "' is not one of " + list(); }

  static const char* name(E value) {
    for (const EnumName<E>& e : EnumNameTable<E>::entries) {
      if (e.value == value) return e.name;
    }
    return "?";  // only for a value outside the enum's list
  }

  // Every spelling, in table order (for choice lists and option checks).
  static std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const EnumName<E>& e : EnumNameTable<E>::entries) out.emplace_back(e.name);
    return out;
  }

  // "gelu | swiglu": the choices, as error messages and help texts list them.
  static std::string list() {
    std::string out;
    for (const EnumName<E>& e : EnumNameTable<E>::entries) out += (out.empty() ? "" : " | ") + std::string(e.name);
    return out;
  }
};

}  // namespace sprout::planner
