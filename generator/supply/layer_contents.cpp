#include "supply/layer_contents.h"

#include <openssl/evp.h>

#include <memory>

#include "util/archive_handle.h"
#include "util/error.h"

namespace xb::supply {
namespace {

// One pass over the data, two digests.
class TwoDigests {
 public:
  TwoDigests() : sha256_(EVP_MD_CTX_new()), sha1_(EVP_MD_CTX_new()) {
    if (!sha256_ || !sha1_ || EVP_DigestInit_ex(sha256_.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestInit_ex(sha1_.get(), EVP_sha1(), nullptr) != 1)
      fail_runtime("internal: OpenSSL digest init failed");
  }
  void update(const void* data, size_t n) {
    EVP_DigestUpdate(sha256_.get(), data, n);
    EVP_DigestUpdate(sha1_.get(), data, n);
  }
  std::string sha256() { return finish(sha256_.get()); }
  std::string sha1() { return finish(sha1_.get()); }

 private:
  static std::string finish(EVP_MD_CTX* ctx) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += {hex[md[i] >> 4], hex[md[i] & 15]};
    return out;
  }
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> sha256_, sha1_;
};

}  // namespace

std::vector<LayerFileInfo> layer_contents(const std::filesystem::path& layer) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());  // service.compression: zstd
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), layer.c_str(), 64 << 10) != ARCHIVE_OK)
    fail_runtime("cannot read the layer " + layer.string() + ": " + archive_message(a.get()));
  std::vector<LayerFileInfo> out;
  const size_t cap = 64 << 10;
  std::unique_ptr<char[]> buf(new char[cap]);  // not zeroed: a small layer touches a page of it
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) fail_runtime("cannot read the layer " + layer.string() + ": " + archive_message(a.get()));
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) continue;
    std::string path = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (path.starts_with("./")) path.erase(0, 1);
    if (!path.starts_with("/")) path.insert(0, "/");
    LayerFileInfo f{path, 0, {}, {}};
    TwoDigests d;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.get(), cap);
      if (n < 0) fail_runtime("cannot read the layer " + layer.string() + ": " + archive_message(a.get()));
      if (n == 0) break;
      d.update(buf.get(), static_cast<size_t>(n));
      f.size += static_cast<uint64_t>(n);
    }
    f.sha256 = d.sha256();
    f.sha1 = d.sha1();
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace xb::supply
