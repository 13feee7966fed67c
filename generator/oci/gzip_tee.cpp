#include "oci/gzip_tee.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace xb::oci {

namespace {
constexpr int kUnixOs = 3;  // the gzip header's OS byte, fixed whatever zlib was built for
}

struct GzipTee::Impl {
  std::filesystem::path path;
  FILE* file = nullptr;
  z_stream z{};
  gz_header header{};
  bool finished = false;
  Sha256 uncompressed;
  Sha256 compressed;
  uint64_t size = 0;
  unsigned char out[1 << 16];
};

GzipTee::GzipTee(const std::filesystem::path& file) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  impl_->file = std::fopen(file.c_str(), "wb");
  if (!impl_->file) fail_runtime("cannot create " + file.string() + ": " + std::strerror(errno));
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&impl_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    fail_runtime("zlib: cannot start compressing " + file.string());
  impl_->header.os = kUnixOs;  // time 0, no name, no comment
  deflateSetHeader(&impl_->z, &impl_->header);
}

GzipTee::~GzipTee() {
  deflateEnd(&impl_->z);
  if (impl_->file) std::fclose(impl_->file);
}

void GzipTee::deflate_some(int flush) {
  auto& z = impl_->z;
  do {
    z.next_out = impl_->out;
    z.avail_out = sizeof impl_->out;
    int r = deflate(&z, flush);
    if (r == Z_STREAM_ERROR) fail_runtime("zlib: compression failed for " + impl_->path.string());
    size_t n = sizeof impl_->out - z.avail_out;
    if (n) {
      impl_->compressed.update(impl_->out, n);
      impl_->size += n;
      if (std::fwrite(impl_->out, 1, n, impl_->file) != n)
        fail_runtime("cannot write " + impl_->path.string() + ": " + std::strerror(errno));
    }
  } while (impl_->z.avail_out == 0);
}

void GzipTee::write(const void* data, size_t size) {
  impl_->uncompressed.update(data, size);
  impl_->z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  impl_->z.avail_in = static_cast<uInt>(size);
  deflate_some(Z_NO_FLUSH);
}

BlobDigests GzipTee::finish() {
  impl_->z.next_in = nullptr;
  impl_->z.avail_in = 0;
  deflate_some(Z_FINISH);
  FILE* f = impl_->file;
  impl_->file = nullptr;
  if (std::fflush(f) != 0 || std::fclose(f) != 0)
    fail_runtime("cannot write " + impl_->path.string() + ": " + std::strerror(errno));
  return {"sha256:" + impl_->compressed.hex(), "sha256:" + impl_->uncompressed.hex(), impl_->size};
}

}  // namespace xb::oci
