#include "oci/gzip_tee.h"

#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <thread>
#include <vector>

#include "oci/tee_file.h"
#include "util/error.h"
#include "util/sha256.h"

namespace xb::oci {

namespace {

constexpr int kGzipLevel = 6;  // zlib's default: about its ratio, at several times its speed

using Bytes = std::vector<unsigned char>;

constexpr unsigned char kUnixOs = 3;  // the header's OS byte, as zlib wrote it before (libdeflate's is 255)

void put_le32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

}  // namespace

// One block's buffers and compressor, reused block after block: memory stays
// a few blocks per thread, with no allocation per block (a 400 MB layer would
// otherwise be 800 allocations of 1 MiB, which an allocator need not give back
// at once; ASan's quarantine keeps them all).
struct GzipSlot {
  Bytes in;
  Bytes out;
  struct libdeflate_compressor* compressor = nullptr;
  GzipSlot() { in.reserve(kGzipBlock); }
  ~GzipSlot() {
    if (compressor) libdeflate_free_compressor(compressor);
  }
  GzipSlot(const GzipSlot&) = delete;
  GzipSlot& operator=(const GzipSlot&) = delete;
};
using GzipSlotPtr = std::unique_ptr<GzipSlot>;

namespace {

// IN as one gzip member into OUT (RFC 1952: a 10-byte header with no name and
// no time, raw deflate, CRC-32 and size). One slot is used by one thread at a time.
void compress_block(GzipSlot& s) {
  if (!s.compressor && !(s.compressor = libdeflate_alloc_compressor(kGzipLevel))) throw std::bad_alloc();
  s.out.assign({0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, kUnixOs});
  const size_t header = s.out.size();
  s.out.resize(header + libdeflate_deflate_compress_bound(s.compressor, s.in.size()));
  size_t n = libdeflate_deflate_compress(s.compressor, s.in.data(), s.in.size(), s.out.data() + header,
                                         s.out.size() - header);
  if (n == 0) throw std::runtime_error("libdeflate: the bound was too small");  // cannot happen
  s.out.resize(header + n);
  put_le32(s.out, libdeflate_crc32(0, s.in.data(), s.in.size()));
  put_le32(s.out, static_cast<uint32_t>(s.in.size()));
}

}  // namespace

struct GzipTee::Impl {
  std::filesystem::path path;
  FILE* file = nullptr;
  unsigned threads = 1;
  GzipSlotPtr filling = std::make_unique<GzipSlot>();  // the block being filled
  std::deque<std::future<GzipSlotPtr>> queue;          // compressing, in file order
  std::vector<GzipSlotPtr> spare;                      // written, ready to fill again
  Sha256 uncompressed;
  Sha256 compressed;
  uint64_t size = 0;

  void put(GzipSlotPtr s) {
    const Bytes& member = s->out;
    compressed.update(member.data(), member.size());
    size += member.size();
    if (std::fwrite(member.data(), 1, member.size(), file) != member.size())
      fail_runtime("cannot write " + path.string() + ": " + std::strerror(errno));
    s->in.clear();
    spare.push_back(std::move(s));
  }
  // Hands the full block on: compressed here with one thread, else queued,
  // the oldest written once as many as there are threads are in flight.
  void flush_block() {
    GzipSlotPtr full = std::move(filling);
    if (spare.empty()) {
      filling = std::make_unique<GzipSlot>();
    } else {
      filling = std::move(spare.back());
      spare.pop_back();
    }
    if (threads <= 1) {
      compress_block(*full);
      return put(std::move(full));
    }
    queue.push_back(std::async(std::launch::async, [s = std::move(full)]() mutable {
      compress_block(*s);
      return std::move(s);
    }));
    while (queue.size() >= threads) drain_one();
  }
  void drain_one() {
    GzipSlotPtr s = queue.front().get();  // rethrows a worker's exception
    queue.pop_front();
    put(std::move(s));
  }
};

GzipTee::GzipTee(const std::filesystem::path& file, GzipOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  impl_->threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
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
    Bytes& block = impl_->filling->in;
    size_t n = std::min(size, kGzipBlock - block.size());
    block.insert(block.end(), p, p + n);
    p += n;
    size -= n;
    if (block.size() == kGzipBlock) impl_->flush_block();
  }
}

BlobDigests GzipTee::finish() {
  while (!impl_->queue.empty()) impl_->drain_one();
  // Then the last, partial block; an empty input is one empty member, a valid gzip file.
  if (!impl_->filling->in.empty() || impl_->size == 0) {
    compress_block(*impl_->filling);
    impl_->put(std::move(impl_->filling));  // no write follows finish()
  }
  close_compressed_file(impl_->file, impl_->path);
  return {"sha256:" + impl_->compressed.hex(), "sha256:" + impl_->uncompressed.hex(), impl_->size};
}

}  // namespace xb::oci
