#include "oci/gzip_tee.h"

#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include "oci/testing_sample.h"
#include "util/fs.h"
#include "util/sha256.h"

using namespace xb;
using namespace xb::oci;

namespace {

struct TempDir : test_support::ScratchDir {
  TempDir() : ScratchDir("gzip-test") {}
};

std::string sample(size_t size) { return test_support::compressible_sample(size, 42); }

// zlib's gunzip of every member, as gzip -d, containerd and Go's reader do.
std::string gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  char buf[1 << 16];
  int members = 0;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int r = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (r == Z_STREAM_END) {
      members++;
      if (z.avail_in == 0) break;
      inflateReset(&z);
      continue;
    }
    if (r != Z_OK) {
      ADD_FAILURE() << "inflate: " << r;
      break;
    }
  }
  inflateEnd(&z);
  EXPECT_GE(members, 1);
  return out;
}

BlobDigests compress(const std::filesystem::path& file, const std::string& data, unsigned threads, size_t chunk) {
  GzipTee tee(file, {threads});
  for (size_t off = 0; off < data.size(); off += chunk) tee.write(data.data() + off, std::min(chunk, data.size() - off));
  return tee.finish();
}

TEST(GzipTee, SameBytesWhateverTheNumberOfThreadsOrWrites) {
  TempDir dir;
  const std::string data = sample(5 * kGzipBlock + 12345);  // five full blocks and a partial one
  BlobDigests one = compress(dir.path / "1.gz", data, 1, 1 << 16);
  std::string bytes = read_file(dir.path / "1.gz");
  for (unsigned threads : {2u, 3u, 8u}) {
    for (size_t chunk : {size_t{1000}, size_t{kGzipBlock}, size_t{3 * kGzipBlock}}) {
      auto name = std::to_string(threads) + "-" + std::to_string(chunk) + ".gz";
      BlobDigests got = compress(dir.path / name, data, threads, chunk);
      EXPECT_EQ(got.digest, one.digest) << name;
      EXPECT_EQ(got.size, one.size) << name;
      EXPECT_EQ(read_file(dir.path / name), bytes) << name;
    }
  }
  EXPECT_EQ(one.digest, "sha256:" + sha256_hex(bytes));
  EXPECT_EQ(one.diff_id, "sha256:" + sha256_hex(data));
  EXPECT_EQ(one.size, bytes.size());
  EXPECT_LT(one.size, data.size() / 2) << "it compresses";
  EXPECT_EQ(gunzip(bytes), data);
  // Six members, each with the gzip magic, no name and no time (FLG 0, MTIME 0).
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
}

TEST(GzipTee, EmptyInputIsAValidGzipFile) {
  TempDir dir;
  BlobDigests d = compress(dir.path / "empty.gz", "", 4, 1);
  std::string bytes = read_file(dir.path / "empty.gz");
  EXPECT_EQ(gunzip(bytes), "");
  EXPECT_EQ(d.diff_id, "sha256:" + sha256_hex(""));
  EXPECT_EQ(d.size, bytes.size());
}

TEST(GzipTee, AnExactMultipleOfTheBlockHasNoEmptyTrailingMember) {
  TempDir dir;
  const std::string data = sample(2 * kGzipBlock);
  compress(dir.path / "a.gz", data, 2, kGzipBlock);
  std::string two = read_file(dir.path / "a.gz");
  EXPECT_EQ(gunzip(two), data);
  compress(dir.path / "b.gz", data.substr(0, kGzipBlock), 1, kGzipBlock);
  compress(dir.path / "c.gz", data.substr(kGzipBlock), 1, kGzipBlock);
  EXPECT_EQ(two, read_file(dir.path / "b.gz") + read_file(dir.path / "c.gz"));
}

}  // namespace
