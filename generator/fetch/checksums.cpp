#include "fetch/checksums.h"

#include <cctype>

#include "fetch/small_file.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/redact.h"

namespace xb {

namespace {

constexpr uint64_t kChecksumsLimit = 1 << 20;

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The last path segment of URL, without query or fragment.
std::string file_name(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

std::optional<std::string> checksum_for(std::string_view checksums, std::string_view name, const std::string& source) {
  std::optional<std::string> found;
  size_t line_no = 0;
  while (!checksums.empty()) {
    size_t end = checksums.find('\n');
    std::string_view line = checksums.substr(0, end);
    checksums = end == std::string_view::npos ? std::string_view() : checksums.substr(end + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // "<hex>  NAME" (text mode) or "<hex> *NAME" (binary mode).
    if (line.size() < 66 || !is_hex64(line.substr(0, 64)) || line[64] != ' ') continue;
    std::string_view file = line.substr(65);
    if (!file.empty() && (file[0] == ' ' || file[0] == '*')) file.remove_prefix(1);
    if (file != name) continue;
    std::string sum = lower(line.substr(0, 64));
    if (found && *found != sum)
      fail_input(source + ":" + std::to_string(line_no) + ": " + std::string(name) + " is listed twice with different sha256",
                 "the checksums file is broken or hostile: check the release and its mirror");
    found = sum;
  }
  return found;
}

std::string beside(const std::string& deb_url, const std::string& file) {
  std::string path = deb_url.substr(0, deb_url.find_first_of("?#"));
  return path.substr(0, path.rfind('/') + 1) + file;
}

std::string release_checksum(const std::string& deb_url, const std::string& checksums_file, const NetSettings& net) {
  const std::string url = beside(deb_url, checksums_file);
  const std::string shown = redact_url(url);
  SmallFile r = get_small_file(url, net, kChecksumsLimit, "1 MiB, the most a checksums file may hold",
                               "the release's checksums file",
                               "check the network (or the mirror variable), or pin agent.sha256 for every platform");
  // file:// answers carry no status (0).
  if (!r.ok())
    fail_runtime("GET " + shown + ": HTTP " + std::to_string(r.status) + " for the release's checksums file",
                 "the .deb's directory must hold " + checksums_file + " (as every release has), or pin agent.sha256");
  const std::string name = file_name(deb_url);
  auto sum = checksum_for(r.body, name, shown);
  if (!sum)
    fail_input(shown + " has no sha256 line for " + name,
               "check agent.version and the architecture (the release must list this file), or pin agent.sha256");
  return *sum;
}

}  // namespace xb
