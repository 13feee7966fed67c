#include "deb/elf_machine.h"

#include <cstdint>

namespace xb::deb {

std::optional<std::string> elf_arch(std::string_view head) {
  if (head.size() < 20 || head.substr(0, 4) != "\x7f" "ELF") return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(head[i]); };
  // EI_DATA (offset 5): 1 little endian, 2 big endian.
  uint16_t machine = byte(5) == 2 ? static_cast<uint16_t>(byte(18) << 8 | byte(19))
                                  : static_cast<uint16_t>(byte(19) << 8 | byte(18));
  switch (machine) {
    case 62: return "amd64";     // EM_X86_64
    case 183: return "arm64";    // EM_AARCH64
    case 3: return "i386";       // EM_386
    case 40: return "armhf";     // EM_ARM
    case 243: return "riscv64";  // EM_RISCV
    case 21: return "ppc64el";   // EM_PPC64
    case 22: return "s390x";     // EM_S390
    default: return "e_machine " + std::to_string(machine);
  }
}

}  // namespace xb::deb
