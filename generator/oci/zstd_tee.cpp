#include "oci/zstd_tee.h"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "oci/tee_file.h"
#include "util/error.h"
#include "util/sha256.h"

namespace xb::oci {

namespace {

constexpr int kLevel = 3;              // zstd's default, as containerd and BuildKit write it
constexpr size_t kJob = 2u << 20;      // bytes per worker job: memory and parallelism, never the bytes' meaning

void check(size_t r, const char* what) {
  if (ZSTD_isError(r)) fail_runtime(std::string("libzstd: ") + what + ": " + ZSTD_getErrorName(r));
}

}  // namespace

struct ZstdTee::Impl {
  std::filesystem::path path;
  FILE* file = nullptr;
  ZSTD_CCtx* cctx = nullptr;
  std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());
  Sha256 uncompressed;
  Sha256 compressed;
  uint64_t size = 0;

  void put(const ZSTD_outBuffer& o) {
    if (o.pos == 0) return;
    compressed.update(o.dst, o.pos);
    size += o.pos;
    if (std::fwrite(o.dst, 1, o.pos, file) != o.pos)
      fail_runtime("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  // Feeds IN (possibly empty) with OP until libzstd has taken it all (continue)
  // or has written the whole frame (end).
  void pump(const void* data, size_t n, ZSTD_EndDirective op) {
    ZSTD_inBuffer in{data, n, 0};
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t left = ZSTD_compressStream2(cctx, &o, &in, op);
      check(left, "compress");
      put(o);
      if (op == ZSTD_e_end ? left == 0 : in.pos == in.size) return;
    }
  }
};

ZstdTee::ZstdTee(const std::filesystem::path& file, unsigned threads) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  impl_->cctx = ZSTD_createCCtx();
  if (!impl_->cctx) throw std::bad_alloc();
  unsigned workers = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  check(ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_compressionLevel, kLevel), "level");
  check(ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_checksumFlag, 1), "checksum");
  // Workers >= 1 always: libzstd's single-threaded mode cuts its frame differently.
  size_t r = ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_nbWorkers, static_cast<int>(workers));
  if (ZSTD_isError(r))
    fail_runtime("libzstd was built without threads: zstd layers would differ from other builds' (use service.compression: gzip)");
  check(ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_jobSize, static_cast<int>(kJob)), "job size");
  impl_->file = std::fopen(file.c_str(), "wbe");
  if (!impl_->file) {
    ZSTD_freeCCtx(impl_->cctx);
    fail_runtime("cannot create " + file.string() + ": " + std::strerror(errno));
  }
}

ZstdTee::~ZstdTee() {
  ZSTD_freeCCtx(impl_->cctx);  // joins its workers
  if (impl_->file) std::fclose(impl_->file);
}

void ZstdTee::write(const void* data, size_t size) {
  impl_->uncompressed.update(data, size);
  impl_->pump(data, size, ZSTD_e_continue);
}

BlobDigests ZstdTee::finish() {
  impl_->pump(nullptr, 0, ZSTD_e_end);
  close_compressed_file(impl_->file, impl_->path);
  return {"sha256:" + impl_->compressed.hex(), "sha256:" + impl_->uncompressed.hex(), impl_->size};
}

}  // namespace xb::oci
