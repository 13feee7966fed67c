// The _gpgorigin check with real keys made by gpg and a real ar archive.
#include "fetch/deb_signature.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "fetch/fetch.h"
#include "fetch/fetch_test_util.h"
#include "support/http_server.h"
#include "support/require.h"
#include "support/subprocess.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;

// An ar archive of MEMBERS, in order, as libarchive writes it (like dpkg-deb).
std::string make_ar(const std::vector<ArMember>& members) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_ar_svr4(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* userp, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(userp)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// A throw-away signer: a GNUPGHOME with one fresh key, driven by the gpg CLI.
class Signer {
 public:
  explicit Signer(const fs::path& home) : home_(home) {
    fs::create_directories(home_);
    fs::permissions(home_, fs::perms::owner_all);
    gpg({"--passphrase", "", "--quick-gen-key", "xraybake test <test@example.invalid>", "ed25519", "sign", "never"});
  }
  ~Signer() { run_command({"gpgconf", "--homedir", home_.string(), "--kill", "all"}); }

  std::string public_key() { return gpg({"--armor", "--export"}); }
  std::string sign(const std::string& data, const fs::path& scratch) {
    write_file_atomic(scratch, data);
    gpg({"--output", "-", "--detach-sign", scratch.string()});
    return last_out_;
  }

 private:
  std::string gpg(std::vector<std::string> args) {
    std::vector<std::string> argv = {"gpg", "--homedir", home_.string(), "--batch", "--pinentry-mode", "loopback"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error("gpg failed: " + r.err);
    last_out_ = r.out;
    return r.out;
  }
  fs::path home_;
  std::string last_out_;
};

class DebSignatureTest : public FetchTest {
 protected:
  void SetUp() override {
    FetchTest::SetUp();
    XB_REQUIRE_TOOL("gpg", "gnupg");
    XB_REQUIRE_TOOL("gpgconf", "gpgconf");
    signer_ = std::make_unique<Signer>(dir / "gnupg");
    write_file_atomic(dir / "key.asc", signer_->public_key());
  }

  // A .deb whose _gpgorigin signs its first three members (as AWS's do).
  std::vector<ArMember> signed_members() {
    std::vector<ArMember> m = {{"debian-binary", "2.0\n"},
                               {"control.tar.gz", deb::testing::control_tar("amd64")},
                               {"data.tar.gz", deb::testing::make_tar(deb::testing::daemon_entries(
                                                   deb::testing::fake_elf("amd64", 64) + payload(5000, 3)))}};
    std::string sig = signer_->sign(m[0].data + m[1].data + m[2].data, dir / "signed.bin");
    m.push_back({"_gpgorigin", sig});
    return m;
  }

  Descriptor signed_descriptor(const HttpServer& server) {
    Descriptor d = descriptor(server.url(""));
    d.xray.signing_key = "key.asc";  // relative to the descriptor
    return d;
  }

  std::unique_ptr<Signer> signer_;
};

TEST_F(DebSignatureTest, ReadsArMembersInOrder) {
  write_file_atomic(dir / "x.deb", make_ar({{"debian-binary", "2.0\n"}, {"control.tar.xz", "c"}, {"data.tar.zst", "d"}}));
  auto members = read_ar_members(dir / "x.deb", "x.deb");
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[1].name, "control.tar.xz");
  EXPECT_EQ(members[2].data, "d");
  write_file_atomic(dir / "not.deb", "just text, not an archive");
  EXPECT_THROW(read_ar_members(dir / "not.deb", "not.deb"), Error);
}

TEST_F(DebSignatureTest, SignedDebIsAccepted) {
  HttpServer server(always(make_ar(signed_members())));
  auto debs = fetch_all(signed_descriptor(server), options);
  EXPECT_TRUE(fs::exists(debs[0].path));
  // Cached copies are checked again, just as cheaply.
  EXPECT_FALSE(fetch_all(signed_descriptor(server), options)[0].downloaded);
}

TEST_F(DebSignatureTest, TamperedDebIsRefusedAndNotCached) {
  auto members = signed_members();
  members[2].data[100] ^= 0x01;  // one bit of data.tar.gz after signing
  HttpServer server(always(make_ar(members)));
  Error e = expect_error([&] { fetch_all(signed_descriptor(server), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("BAD signature"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")), std::string::npos);
  EXPECT_EQ(files_under("blobs"), 0u);
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(DebSignatureTest, UnsignedDebIsRefused) {
  auto members = signed_members();
  members.pop_back();
  HttpServer server(always(make_ar(members)));
  Error e = expect_error([&] { fetch_all(signed_descriptor(server), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("no _gpgorigin"), std::string::npos) << e.what();
}

TEST_F(DebSignatureTest, SignatureByAnotherKeyIsRefused) {
  HttpServer server(always(make_ar(signed_members())));
  Signer other(dir / "gnupg-other");
  write_file_atomic(dir / "key.asc", other.public_key());
  Error e = expect_error([&] { fetch_all(signed_descriptor(server), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("another key"), std::string::npos) << e.what();
}

TEST_F(DebSignatureTest, KeyFileWithoutKeyIsBadInput) {
  HttpServer server(always(make_ar(signed_members())));
  write_file_atomic(dir / "key.asc", "not a key\n");
  Error e = expect_error([&] { fetch_all(signed_descriptor(server), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("signing_key"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace xb::test
