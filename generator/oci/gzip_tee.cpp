#include "oci/gzip_tee.h"

#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <thread>
#include <vector>

#include "util/error.h"

namespace xb::oci {

namespace {

constexpr int kLevel = 6;  // zlib's default: about its ratio, at several times its speed

using Bytes = std::vector<unsigned char>;

constexpr unsigned char kUnixOs = 3;  // the header's OS byte, as zlib wrote it before (libdeflate's is 255)

void put_le32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

// One block as one gzip member (RFC 1952: a 10-byte header with no name and
// no time, raw deflate, CRC-32 and size). A compressor each: they are not
// shared between threads.
Bytes compress_block(const Bytes& in) {
  struct libdeflate_compressor* c = libdeflate_alloc_compressor(kLevel);
  if (!c) throw std::bad_alloc();
  Bytes out{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, kUnixOs};
  const size_t header = out.size();
  out.resize(header + libdeflate_deflate_compress_bound(c, in.size()));
  size_t n = libdeflate_deflate_compress(c, in.data(), in.size(), out.data() + header, out.size() - header);
  libdeflate_free_compressor(c);
  if (n == 0) throw std::runtime_error("libdeflate: the bound was too small");  // cannot happen
  out.resize(header + n);
  put_le32(out, libdeflate_crc32(0, in.data(), in.size()));
  put_le32(out, static_cast<uint32_t>(in.size()));
  return out;
}

}  // namespace

struct GzipTee::Impl {
  std::filesystem::path path;
  FILE* file = nullptr;
  unsigned threads = 1;
  Bytes block;                           // filling
  std::deque<std::future<Bytes>> queue;  // compressing, in file order
  bool wrote_member = false;
  Sha256 uncompressed;
  Sha256 compressed;
  uint64_t size = 0;

  void put(const Bytes& member) {
    compressed.update(member.data(), member.size());
    size += member.size();
    wrote_member = true;
    if (std::fwrite(member.data(), 1, member.size(), file) != member.size())
      fail_runtime("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  // Hands the full block on: compressed here with one thread, else queued,
  // the oldest written once as many as there are threads are in flight.
  void flush_block() {
    Bytes full;
    full.swap(block);
    block.reserve(kGzipBlock);
    if (threads <= 1) return put(compress_block(full));
    queue.push_back(std::async(std::launch::async, [b = std::move(full)] { return compress_block(b); }));
    while (queue.size() >= threads) drain_one();
  }
  void drain_one() {
    Bytes member = queue.front().get();  // rethrows a worker's exception
    queue.pop_front();
    put(member);
  }
};

GzipTee::GzipTee(const std::filesystem::path& file, GzipOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  impl_->threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  impl_->block.reserve(kGzipBlock);
  impl_->file = std::fopen(file.c_str(), "wb");
  if (!impl_->file) fail_runtime("cannot create " + file.string() + ": " + std::strerror(errno));
}

GzipTee::~GzipTee() {
  // Unfinished (an exception on the way): wait for the workers, drop their output.
  for (auto& f : impl_->queue)
    if (f.valid()) f.wait();
  if (impl_->file) std::fclose(impl_->file);
}

void GzipTee::write(const void* data, size_t size) {
  impl_->uncompressed.update(data, size);
  auto* p = static_cast<const unsigned char*>(data);
  while (size) {
    size_t n = std::min(size, kGzipBlock - impl_->block.size());
    impl_->block.insert(impl_->block.end(), p, p + n);
    p += n;
    size -= n;
    if (impl_->block.size() == kGzipBlock) impl_->flush_block();
  }
}

BlobDigests GzipTee::finish() {
  while (!impl_->queue.empty()) impl_->drain_one();
  // Then the last, partial block; an empty input is one empty member, a valid gzip file.
  if (!impl_->block.empty() || !impl_->wrote_member) impl_->put(compress_block(impl_->block));
  FILE* f = impl_->file;
  impl_->file = nullptr;
  if (std::fflush(f) != 0 || std::fclose(f) != 0)
    fail_runtime("cannot write " + impl_->path.string() + ": " + std::strerror(errno));
  return {"sha256:" + impl_->compressed.hex(), "sha256:" + impl_->uncompressed.hex(), impl_->size};
}

}  // namespace xb::oci
