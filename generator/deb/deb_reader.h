// Reading the daemon out of a .deb, safely: the `ar` container, control.tar.*
// and data.tar.{gz,xz,zst} (with or without a _gpgorigin member) via
// libarchive, streamed, every entry checked. A hostile or broken package is
// refused with xb::Error(bad_input) naming the package, the member and entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xb::deb {

inline constexpr std::string_view kDaemonPath = "usr/bin/xray";

struct Limits {
  uint64_t max_entry_size = 512ull << 20;  // one entry, uncompressed: a decompression bomb stops here
  uint64_t max_total_size = 2ull << 30;    // every entry of a member together
  uint64_t max_entries = 100000;
};

// What control.tar's `control` file says.
struct ControlInfo {
  std::string package;
  std::string version;
  std::string architecture;
  std::map<std::string, std::string> fields;  // every field of `control` (Maintainer, Homepage, ...), first line only
  std::string copyright;                       // control.tar's `copyright` file, as AWS packs it; empty: none
};

// The daemon binary, handed to the caller while the package is read.
struct DaemonStream {
  std::string path;   // in data.tar, without "./": the binary or one of ReadOptions::also
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits from the package
  // Fills up to CAP bytes; 0 at the end. Throws xb::Error on a corrupt archive.
  std::function<size_t(char* buf, size_t cap)> read;
};

struct ReadOptions {
  std::string arch;                            // "amd64": the binary's ELF machine must match
  std::string binary_path{kDaemonPath};        // the agent's binary taken from data.tar
  std::vector<std::string> also;               // more regular files taken from data.tar (any content), each required
  std::string display_name;                    // the package in messages (its URL); empty: the path
  std::string package;                         // what control's Package: must say; empty: any
  std::string hint;                            // what to check when it is not that package (the keys naming its URL)
  Limits limits;
};

// Reads DEB, checks every member and entry, and calls SINK once with the
// binary, which must be a regular ELF file for options.arch, and once with
// each file of options.also (regular files, in the package's order). Checking goes on
// after SINK returns: a later bad entry still throws, so the caller must keep
// what SINK wrote provisional until this returns.
ControlInfo read_deb(const std::filesystem::path& deb, const ReadOptions& options,
                     const std::function<void(DaemonStream&)>& sink);

// What DEB's control.tar says, without reading data.tar (the SBOM's facts:
// name, version, Maintainer, the copyright file). DISPLAY_NAME names it in
// messages. Throws xb::Error(bad_input) like read_deb for a broken package.
ControlInfo read_control(const std::filesystem::path& deb, const std::string& display_name = {});

}  // namespace xb::deb
