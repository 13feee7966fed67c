// Which machine an ELF executable is for, from its header (e_machine), so a
// package for the wrong architecture is caught before it reaches an image.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xb::deb {

// The Debian architecture name ("amd64", "arm64", ...) of the ELF whose first
// bytes are HEAD (at least 20 are needed); nullopt when HEAD is not ELF.
// Unknown machines come back as "e_machine N".
std::optional<std::string> elf_arch(std::string_view head);

}  // namespace xb::deb
