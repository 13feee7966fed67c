#include "util/sha256.h"

#include <gtest/gtest.h>

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(xb::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(xb::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StreamingEqualsOneShot) {
  std::string data(100000, 'x');
  xb::Sha256 h;
  for (size_t i = 0; i < data.size(); i += 777) h.update(data.substr(i, 777));
  EXPECT_EQ(h.hex(), xb::sha256_hex(data));
}
