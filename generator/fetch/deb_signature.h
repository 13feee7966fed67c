// The .deb's embedded signature: `_gpgorigin` is a detached OpenPGP
// signature over debian-binary + control.tar.* + data.tar.*, concatenated in
// archive order (how AWS signs the X-Ray daemon packages).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace xb {

struct ArMember {
  std::string name;  // "debian-binary", "control.tar.gz", ...
  std::string data;
};

// Every member of an ar archive, in order (libarchive). xb::Error (bad_input)
// naming LABEL when it is not an ar archive.
std::vector<ArMember> read_ar_members(const std::filesystem::path& path, const std::string& label);

// Checks DEB's _gpgorigin against the public key in KEY_PATH (armored or
// binary) in a throw-away GNUPGHOME. xb::Error (bad_input) naming URL when the
// signature is missing, bad, or by another key.
void verify_deb_signature(const std::filesystem::path& deb, const std::string& key_path, const std::string& url);

// Checks SIGNATURE, the detached OpenPGP signature served at SIG_URL, over
// the whole FILE (served at URL: the CloudWatch agent's .deb and URL.sig)
// against KEY_PATH. xb::Error (bad_input) naming both URLs when it is not a
// signature, bad, or by another key.
void verify_detached_signature(const std::filesystem::path& file, const std::string& signature,
                               const std::string& key_path, const std::string& url, const std::string& sig_url);

}  // namespace xb
