#include "fetch/deb_signature.h"

#include <archive.h>
#include <archive_entry.h>
#include <gpgme.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb {

namespace fs = std::filesystem;

std::vector<ArMember> read_ar_members(const fs::path& path, const std::string& label) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_ar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    fail_input(label + ": not a .deb (ar archive): " + archive_error_string(a.get()));
  std::vector<ArMember> members;
  archive_entry* entry = nullptr;
  int r;
  while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    ArMember m;
    m.name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (!m.name.empty() && m.name.back() == '/') m.name.pop_back();  // GNU ar's terminator
    char buf[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) m.data.append(buf, static_cast<size_t>(n));
    if (n < 0) fail_input(label + ": damaged ar member " + m.name + ": " + archive_error_string(a.get()));
    members.push_back(std::move(m));
  }
  if (r != ARCHIVE_EOF) fail_input(label + ": not a .deb (ar archive): " + archive_error_string(a.get()));
  return members;
}

namespace {

// A GNUPGHOME that exists only for one verification.
struct TempHome {
  fs::path path;
  TempHome() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/xraybake-gpg-XXXXXX";
    if (!::mkdtemp(tmpl.data())) fail_runtime("cannot create a temporary GNUPGHOME in " + tmpl);
    path = tmpl;
    ::chmod(path.c_str(), 0700);
  }
  ~TempHome() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Data {
  gpgme_data_t d = nullptr;
  explicit Data(const std::string& bytes) {
    if (gpgme_data_new_from_mem(&d, bytes.data(), bytes.size(), 0) != 0) fail_runtime("gpgme: out of memory");
  }
  explicit Data(int fd) {
    if (gpgme_data_new_from_fd(&d, fd) != 0) fail_runtime("gpgme: out of memory");
  }
  ~Data() { gpgme_data_release(d); }
};

void check(gpgme_error_t err, const std::string& what) {
  if (err) fail_runtime("gpgme: " + what + ": " + gpgme_strerror(err));
}

}  // namespace

namespace {

// SIGNATURE (detached OpenPGP) over SIGNED checked against KEY_PATH. LABEL
// names the signature in messages ("URL: _gpgorigin", "URL.sig"); HINT says what to do.
// SIGNED is the bytes themselves or, when SIGNED_FD >= 0, read from that file (never whole in memory).
void verify_signature(const std::string& signed_bytes, int signed_fd, const std::string& signature,
                      const std::string& key_path, const std::string& label, const std::string& hint) {
  std::error_code ec;
  if (!fs::is_regular_file(key_path, ec))
    fail_input("signing_key: cannot read " + key_path, "give the path of the publisher's public key (armored or binary)");
  std::string key = read_file(key_path);

  gpgme_check_version(nullptr);
  TempHome home;
  gpgme_ctx_t raw = nullptr;
  check(gpgme_new(&raw), "cannot start");
  std::unique_ptr<gpgme_context, decltype(&gpgme_release)> ctx(raw, gpgme_release);
  check(gpgme_set_protocol(ctx.get(), GPGME_PROTOCOL_OpenPGP), "OpenPGP");
  check(gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home.path.c_str()), "GNUPGHOME");

  Data key_data(key);
  check(gpgme_op_import(ctx.get(), key_data.d), "importing " + key_path);
  gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
  if (!imported || imported->considered == 0 || (imported->imported == 0 && imported->unchanged == 0))
    fail_input("signing_key: " + key_path + " holds no OpenPGP public key",
               "export it with `gpg --export --armor KEYID > FILE`");

  Data sig_data(signature);
  std::unique_ptr<Data> text_data = signed_fd >= 0 ? std::make_unique<Data>(signed_fd) : std::make_unique<Data>(signed_bytes);
  gpgme_error_t err = gpgme_op_verify(ctx.get(), sig_data.d, text_data->d, nullptr);
  if (err) fail_input(label + " is not a valid signature: " + gpgme_strerror(err), hint);
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx.get());
  for (gpgme_signature_t s = result ? result->signatures : nullptr; s; s = s->next) {
    auto code = gpgme_err_code(s->status);
    // Only the given key is in this keyring, so a good signature is by it.
    if (code == GPG_ERR_NO_ERROR) return;
    if (code == GPG_ERR_KEY_EXPIRED || code == GPG_ERR_SIG_EXPIRED) {
      log::warn(label + ": signature by " + std::string(s->fpr ? s->fpr : "?") + " is good but the key or signature has expired");
      return;
    }
  }
  std::string why = "no signature";
  if (result && result->signatures) {
    auto code = gpgme_err_code(result->signatures->status);
    why = code == GPG_ERR_NO_PUBKEY ? "signed by another key (" + std::string(result->signatures->fpr ? result->signatures->fpr : "?") + ")"
          : code == GPG_ERR_BAD_SIGNATURE ? "BAD signature: the package was modified after signing"
                                           : gpgme_strerror(result->signatures->status);
  }
  fail_input(label + " does not verify against " + key_path + ": " + why, hint);
}

}  // namespace

void verify_deb_signature(const fs::path& deb, const std::string& key_path, const std::string& url) {
  std::string signed_bytes, signature;
  bool has_signature = false;
  for (auto& m : read_ar_members(deb, url)) {
    if (m.name == "_gpgorigin") {
      signature = std::move(m.data);
      has_signature = true;
    } else if (m.name == "debian-binary" || m.name.rfind("control.tar", 0) == 0 || m.name.rfind("data.tar", 0) == 0) {
      signed_bytes += m.data;
    }
  }
  const std::string hint = "signing_key is set, so every .deb must carry a good _gpgorigin signature by " +
                           key_path + "; check the URL (a mirror may serve other bytes) or the key";
  if (!has_signature) fail_input(url + ": the .deb has no _gpgorigin signature member", hint);
  verify_signature(signed_bytes, -1, signature, key_path, url + ": _gpgorigin", hint);
}

void verify_detached_signature(const fs::path& file, const std::string& signature, const std::string& key_path,
                               const std::string& url, const std::string& sig_url) {
  const std::string hint = "signing_key is set, so " + url + " must have a good detached signature by " + key_path +
                           " at " + sig_url + "; check both URLs (a mirror may serve other bytes) or the key; "
                           "nothing was pinned or cached";
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_runtime("cannot read " + file.string());
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closer{fd};
  verify_signature("", fd, signature, key_path, sig_url + " (the signature of " + url + ")", hint);
}

}  // namespace xb
