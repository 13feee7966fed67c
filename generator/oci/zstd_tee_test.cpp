#include "oci/zstd_tee.h"

#include <unistd.h>
#include <zstd.h>

#include <gtest/gtest.h>

#include "oci/layer_writer.h"
#include "oci/media_types.h"
#include "oci/testing_sample.h"
#include "util/fs.h"
#include "util/sha256.h"

using namespace xb;
using namespace xb::oci;

namespace {

struct TempDir : test_support::ScratchDir {
  TempDir() : ScratchDir("zstd-test") {}
};

std::string sample(size_t size) { return test_support::compressible_sample(size, 7); }

// DATA through a ZstdTee with THREADS workers, written in pieces of CHUNK bytes.
std::pair<std::string, BlobDigests> compress(const std::filesystem::path& file, const std::string& data, unsigned threads,
                                             size_t chunk) {
  ZstdTee tee(file, threads);
  for (size_t i = 0; i < data.size(); i += chunk) tee.write(data.data() + i, std::min(chunk, data.size() - i));
  BlobDigests d = tee.finish();
  return {read_file(file), d};
}

// What libzstd's own decoder makes of BYTES (every frame, checksums checked).
std::string decompress(const std::string& bytes) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  std::string out;
  std::vector<char> buf(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    size_t r = ZSTD_decompressStream(ds, &o, &in);
    if (ZSTD_isError(r)) {
      ZSTD_freeDStream(ds);
      throw std::runtime_error(ZSTD_getErrorName(r));
    }
    out.append(buf.data(), o.pos);
  }
  ZSTD_freeDStream(ds);
  return out;
}

}  // namespace

TEST(ZstdTee, RoundTripsAndHashesBothSides) {
  TempDir t;
  const std::string data = sample(5 << 20);
  auto [bytes, d] = compress(t.path / "a.zst", data, 2, 64 << 10);
  EXPECT_EQ(decompress(bytes), data);
  EXPECT_EQ(d.diff_id, "sha256:" + sha256_hex(data));
  EXPECT_EQ(d.digest, "sha256:" + sha256_hex(bytes));
  EXPECT_EQ(d.size, bytes.size());
  EXPECT_LT(bytes.size(), data.size());
  // One frame with its content checksum (the frame header's descriptor byte, bit 2).
  ASSERT_GE(bytes.size(), 5u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x28);
  EXPECT_TRUE(static_cast<unsigned char>(bytes[4]) & 0x04);
}

// The bytes depend on the input only: any number of workers, any write pattern.
TEST(ZstdTee, SameBytesForAnyNumberOfThreadsAndWrites) {
  TempDir t;
  for (size_t size : {size_t{0}, size_t{1}, size_t{100000}, size_t{(2u << 20) + 1}, size_t{9u << 20}}) {
    const std::string data = sample(size);
    auto [want, d0] = compress(t.path / "1.zst", data, 1, 1 << 20);
    for (unsigned threads : {2u, 3u, 8u})
      for (size_t chunk : {size_t{1} << 12, size_t{3} << 20}) {
        auto [got, d] = compress(t.path / "n.zst", data, threads, chunk);
        EXPECT_EQ(got, want) << size << " bytes, " << threads << " threads, writes of " << chunk;
        EXPECT_EQ(d.digest, d0.digest);
      }
    EXPECT_EQ(decompress(want), data) << size;
  }
}

TEST(ZstdTee, LayerWriterWritesTarZstdThatLibarchiveReads) {
  TempDir t;
  LayerEntry e;
  e.path = "/usr/bin/xray";
  e.mode = 0755;
  e.data = sample(3 << 20);
  auto gz = write_layer(t.path / "l.tar.gz", {e}, 0, Compression::gzip);
  auto zs = write_layer(t.path / "l.tar.zst", {e}, 0, Compression::zstd);
  EXPECT_EQ(zs.diff_id, gz.diff_id);  // the same tar inside
  EXPECT_NE(zs.digest, gz.digest);
  const std::string tar = decompress(read_file(t.path / "l.tar.zst"));
  EXPECT_EQ("sha256:" + sha256_hex(tar), zs.diff_id);
  EXPECT_EQ(tar.substr(0, 4), "usr/");  // the parent directory first, as in every layer
  EXPECT_EQ(compression_info(Compression::zstd).media_type, kLayerZstd);
  EXPECT_EQ(parse_compression("zstd"), Compression::zstd);
  EXPECT_EQ(parse_compression("gzip"), Compression::gzip);
  EXPECT_FALSE(parse_compression("xz"));
}
