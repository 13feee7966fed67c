// libFuzzer target: the JSON of an image as a registry or a local layout hands
// it over (index.json, an image index or manifest, a config), read by
// xb::oci::read_base_image. The input is up to three documents separated by a
// line "--": the top-level index.json, the manifest (or index) blob, the
// config blob. "@M" and "@C" in the first two stand for the digests of the
// second and third, so mutations reach past the digest checks. A bad image
// must end in xb::Error; anything else is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "oci/base_image.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fs = std::filesystem;

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) abort();
}

const fs::path& layout() {
  static fs::path dir = [] {
    char tmpl[] = "/tmp/fuzz-image-XXXXXX";
    if (!mkdtemp(tmpl)) abort();
    fs::create_directories(fs::path(tmpl) / "blobs" / "sha256");
    return fs::path(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> docs;
  for (size_t start = 0; docs.size() < 3;) {
    size_t sep = text.find("\n--\n", start);
    docs.push_back(text.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 4;
  }
  docs.resize(3);
  const fs::path& dir = layout();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "blobs" / "sha256", ec)) fs::remove(e.path(), ec);
  std::string config_hex = xb::sha256_hex(docs[2]);
  replace_all(docs[1], "@C", "sha256:" + config_hex);
  std::string manifest_hex = xb::sha256_hex(docs[1]);
  replace_all(docs[0], "@M", "sha256:" + manifest_hex);
  write(dir / "oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}");
  write(dir / "index.json", docs[0]);
  write(dir / "blobs" / "sha256" / manifest_hex, docs[1]);
  write(dir / "blobs" / "sha256" / config_hex, docs[2]);
  for (const std::vector<std::string>& platforms :
       {std::vector<std::string>{"linux/amd64"}, std::vector<std::string>{"linux/amd64", "linux/arm64"}}) {
    try {
      auto image = xb::oci::read_base_image(dir, "", platforms);
      for (const auto& p : image.platforms) {
        (void)xb::oci::platform_string(p.platform_json);
        (void)p.config.dump();
      }
    } catch (const xb::Error&) {
    }
  }
  return 0;
}
