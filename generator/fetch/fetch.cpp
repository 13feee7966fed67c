#include "fetch/fetch.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include "deb/deb_reader.h"
#include "fetch/cache.h"
#include "fetch/checksums.h"
#include "fetch/deb_signature.h"
#include "fetch/download.h"
#include "fetch/lockfile.h"
#include "fetch/progress.h"
#include "fetch/small_file.h"
#include "fetch/url.h"
#include "http/net_settings.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/redact.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct Pin {
  std::string sha256;
  std::string source;  // where it came from, for messages
  uint64_t size = 0;   // what xraybake.lock declares (0: unknown): a longer download fails at once
};

std::string arch_of(const std::string& platform) {
  auto slash = platform.rfind('/');
  return slash == std::string::npos ? platform : platform.substr(slash + 1);
}

std::string not_found_hint(const agents::Package& pkg, const std::string& arch) {
  const char* mirror = pkg.mirror_env.empty() ? nullptr : std::getenv(pkg.mirror_env.c_str());
  return "the server has no such file: " + pkg.not_found_hint + " (" + arch + ": amd64 or arm64)" +
         (mirror ? ", and " + pkg.mirror_env : ", and " + pkg.section + ".url");
}

// Removes a download in progress unless it was committed or kept for resuming.
struct TempFile {
  const DebCache& cache;
  std::string url;
  fs::path path;
  bool keep = false;
  bool committed = false;
  ~TempFile() {
    if (committed) return;
    if (keep) cache.keep_partial(path, url);
    else ::unlink(path.c_str());
  }
};

// URL's detached signature: ".sig" after the path, before any query.
std::string signature_url(const std::string& url) {
  auto q = url.find_first_of("?#");
  if (q == std::string::npos) return url + ".sig";
  return url.substr(0, q) + ".sig" + url.substr(q);
}

std::string read_head(const fs::path& file, size_t n) {
  std::string out(n, '\0');
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? ::pread(fd, out.data(), n, 0) : -1;
  if (fd >= 0) ::close(fd);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

// The package's control info, once FILE proved to be EXPECTED for ARCH:
// an ar archive with debian-binary, control.tar.* and data.tar.*, `Package`
// as asked (deb/deb_reader.h checks it), `Architecture` exactly ARCH (not
// "all"), a Version, the binary in data.
deb::ControlInfo check_package(const fs::path& file, const std::string& arch, const ExpectedPackage& expected,
                               const agents::Package& pkg, const std::string& url) {
  const std::string check = agents::source_hint(pkg);
  deb::ReadOptions opts;
  opts.arch = arch;
  opts.binary_path = expected.binary;
  opts.package = expected.name;  // control `Package:`, checked right after control.tar
  opts.display_name = url;
  deb::ControlInfo info;
  try {
    info = deb::read_deb(file, opts, [](deb::DaemonStream& s) {
      char buf[64 << 10];
      while (s.read(buf, sizeof buf) > 0) {
      }
    });
  } catch (const Error& e) {
    std::string head = read_head(file, 512);
    bool html = head.find("<html") != std::string::npos || head.find("<HTML") != std::string::npos ||
                head.find("<!DOCTYPE") != std::string::npos || head.find("<?xml") != std::string::npos;
    throw Error(e.code(), std::string(e.what()) + (html ? " (the server sent a web page, not a .deb)" : ""),
                check + ": the URL must serve the " + expected.name + " .deb for " + arch +
                    " itself; nothing was pinned or cached");
  }
  auto refuse = [&](const std::string& what) {
    fail_input(url + ": " + what, check + " (the {arch} placeholder): the URL must serve the " + expected.name +
                                      " package for " + arch + "; nothing was pinned or cached");
  };
  if (info.architecture != arch)
    refuse("the package is for '" + info.architecture + "' (control: Architecture), not " + arch);
  if (info.version.empty()) refuse("the package has no Version in its control file");
  return info;
}

class Fetcher {
 public:
  Fetcher(const Descriptor& desc, const agents::Package& pkg, ExpectedPackage expected, const FetchOptions& options)
      : pkg_(pkg), expected_(std::move(expected)), options_(options), cache_(options.cache_dir), net_(net_settings_from_env(options.ca_bundle)) {
    if (pkg.signing_key) {
      fs::path key = *pkg.signing_key;
      if (key.is_relative()) key = fs::path(desc.path).parent_path() / key;  // relative to the descriptor
      signing_key_ = key.string();
    }
  }

  // KNOWN_VERSION: what the lock says of the pinned .deb (its package was
  // checked when it was pinned); empty: check the package again.
  FetchedDeb fetch(const std::string& arch, const std::string& url, const std::optional<Pin>& pin,
                   const std::string& known_version) {
    FileLock guard = cache_.lock_url(url);  // one process downloads; the others find it cached
    const std::string shown = redact_url(url);
    FetchedDeb deb{arch, shown, "", 0, "", {}, false, std::nullopt, std::nullopt, {}};

    // The cache is trusted for nothing but bytes with the pinned digest. Without
    // a pin only --offline reads what the cache says a URL gave (checked again).
    std::optional<fs::path> hit;
    bool unpinned_hit = false;
    if (pin && !options_.refresh) {
      hit = cache_.find(pin->sha256);
      deb.sha256 = pin->sha256;
    } else if (!pin && options_.offline) {
      if (auto entry = cache_.lookup_url(url)) {
        hit = cache_.find(entry->sha256);
        deb.sha256 = entry->sha256;
        unpinned_hit = true;
      }
    }
    if (hit) {
      if (!signing_key_.empty()) verify(*hit, url, shown, true);
      deb.path = *hit;
      deb.size = fs::file_size(*hit);
      deb.version = known_version.empty() || unpinned_hit ? check_package(*hit, arch, expected_, pkg_, shown).version
                                                          : known_version;
      cache_.record_url(url, {shown, deb.sha256, deb.size, deb.version});
      if (unpinned_hit)
        log::warn(arch + ": --offline without a pin: using what the cache says " + shown + " gave (sha256 " +
                  deb.sha256 + "); pin it (xraybake.lock) to be sure these are the bytes you want");
      log::info(arch + ": " + shown + " (cached, " + human_bytes(deb.size) + ", sha256 " + deb.sha256 + ")");
      return deb;
    }
    if (options_.offline) {
      fail_runtime("--offline: the " + arch + " " + pkg_.noun + " .deb is not in the cache " + cache_.root().string() +
                       ": needs " + shown +
                       (pin ? " with sha256 " + pin->sha256 : " (no pin; it was never fetched into this cache)"),
                   "run `xraybake fetch` with network access against the same --cache-dir, or copy the file to " +
                       (cache_.root() / "blobs" / "sha256").string() + "/<sha256>");
    }

    // With a pin, what a failed run left is resumed: the digest catches a stale leftover.
    PendingDownload pending = cache_.start_download(url, pin.has_value() && !options_.refresh);
    TempFile temp{cache_, url, pending.path, pin.has_value()};
    DownloadContext context{arch, not_found_hint(pkg_, arch), pin.has_value() && !options_.refresh, pin ? pin->size : 0};
    Downloaded got = download_file(url, temp.path, net_, context);
    temp.keep = false;
    if (pin && got.sha256 != pin->sha256 && got.resumed_from > 0) {
      log::warn(arch + ": the partial download an earlier run left does not match the pin; downloading " + shown +
                " again from the start");
      context.resume = false;
      got = download_file(url, temp.path, net_, context);
    }
    if (pin && got.sha256 != pin->sha256) {
      fail_input(shown + ": sha256 mismatch for " + arch + ": expected " + pin->sha256 + " (" + pin->source +
                     "), got " + got.sha256,
                 kPinMismatchHint);
    }
    if (!signing_key_.empty()) verify(temp.path, url, shown, false);
    deb.version = check_package(temp.path, arch, expected_, pkg_, shown).version;
    deb.sha256 = got.sha256;
    deb.size = got.size;
    deb.path = cache_.commit(temp.path, got.sha256);
    temp.committed = true;
    deb.downloaded = true;
    cache_.record_url(url, {shown, deb.sha256, deb.size, deb.version});
    log::info(arch + ": fetched " + shown + " (" + deb.version + ", " + human_bytes(deb.size) + ", sha256 " +
              deb.sha256 + ")");
    return deb;
  }

  const NetSettings& net() const { return net_; }
  bool cached(const std::string& sha256) const { return cache_.find(sha256).has_value(); }

 private:
  // FILE (from URL) against the signing key: its _gpgorigin, or the detached URL.sig.
  void verify(const fs::path& file, const std::string& url, const std::string& shown, bool cached) {
    if (!pkg_.detached_signature) return verify_deb_signature(file, signing_key_, shown);
    if (cached && options_.offline) {
      log::info(shown + ": --offline: the detached signature was checked when these bytes were fetched and pinned");
      return;
    }
    const std::string sig_url = signature_url(url);
    const std::string sig_shown = redact_url(sig_url);
    const std::string hint = pkg_.section + ".signing_key is set, so " + shown + " needs its detached signature " +
                             sig_shown + "; check " + pkg_.section + ".url" +
                             (pkg_.mirror_env.empty() ? "" : " (or " + pkg_.mirror_env + ")") +
                             ": the mirror must serve the .sig beside the .deb; nothing was pinned or cached";
    SmallFile sig = get_small_file(sig_url, net_, kSignatureLimit, "64 KiB, the most a detached signature may hold",
                                   "the detached signature", hint);
    if (!sig.ok())
      fail_input(sig_shown + ": HTTP " + std::to_string(sig.status) + ": no detached signature for " + shown, hint);
    verify_detached_signature(file, sig.body, signing_key_, shown, sig_shown);
  }

  static constexpr uint64_t kSignatureLimit = 64 << 10;

  const agents::Package& pkg_;
  const ExpectedPackage expected_;
  const FetchOptions& options_;
  DebCache cache_;
  NetSettings net_;
  std::string signing_key_;
};

}  // namespace

ExpectedPackage expected_package(const agents::Agent& agent) {
  const auto files = agent.layer_files();
  if (files.empty()) fail_runtime("internal: agent kind " + std::string(agent.kind()) + " names no binary of its .deb");
  return {std::string(agent.package_name()), files.front().from};
}

std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const FetchOptions& options) {
  return fetch_all(desc, agents::agent_for(desc), options);
}

std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const agents::Agent& agent, const FetchOptions& options) {
  const agents::Package pkg = agent.package(desc);
  Fetcher fetcher(desc, pkg, expected_package(agent), options);
  const fs::path lock_path = lockfile_path(desc.path);
  const std::optional<LockFile> lock = read_lockfile(lock_path);
  LockFile updated = lock.value_or(LockFile{});
  std::vector<std::string> newly_pinned;
  std::vector<FetchedDeb> out;

  for (const auto& platform : desc.service.platforms) {
    const std::string arch = arch_of(platform);
    const std::string canonical = redact_url(descriptor_url(pkg, arch));
    const std::string url = download_url(pkg, arch);

    std::optional<Pin> desc_pin;
    if (auto it = pkg.sha256.find(arch); it != pkg.sha256.end())
      desc_pin = Pin{lower(it->second), pkg.section + ".sha256." + arch + " in " + desc.path};

    std::optional<LockEntry> entry;
    if (lock) {
      if (auto it = lock->daemon.find(arch); it != lock->daemon.end()) entry = it->second;
    }
    if (entry && redact_url(entry->url) != canonical) {
      if (options.locked)
        fail_input(lock_path.string() + ": daemon." + arch + " pins " + redact_url(entry->url) + " but the descriptor now asks for " +
                       canonical,
                   (pkg.section == "xray" ? std::string("xray.url, version or bucket_region changed")
                                          : std::string("agent.kind, url or version changed")) +
                       ": run `xraybake fetch` without --locked to re-pin, then commit xraybake.lock");
      log::info(lock_path.string() + ": the " + arch + " URL changed; pinning the new one");
      entry.reset();
    }
    if (desc_pin && entry && entry->sha256 != desc_pin->sha256 && options.locked)
      fail_input(lock_path.string() + ": daemon." + arch + ".sha256 is " + entry->sha256 + " but " + desc_pin->source +
                     " is " + desc_pin->sha256,
                 "make them agree: run `xraybake fetch` without --locked to update xraybake.lock");

    std::optional<Pin> pin = desc_pin;
    if (!pin && entry) pin = Pin{entry->sha256, lock_path.string() + " daemon." + arch, entry->size};
    if (!pin && options.locked)
      fail_input("--locked: no sha256 pinned for the " + arch + " " + pkg.noun + " .deb (" + canonical + ") in " +
                     lock_path.string() + " or " + pkg.section + ".sha256",
                 "run `xraybake fetch` once without --locked and commit xraybake.lock, or set " + pkg.section +
                     ".sha256." + arch);

    // A release that publishes its checksums (otelcol-contrib) pins the .deb before it is downloaded.
    if (!pin && !pkg.checksums_file.empty() && !options.offline)
      pin = Pin{release_checksum(url, pkg.checksums_file, fetcher.net()),
                "the release's checksums file " + redact_url(beside(url, pkg.checksums_file))};

    const bool entry_pins = entry && pin && entry->sha256 == pin->sha256;
    // What another build of this fleet made of the very .deb pinned here: then it is not needed at all.
    std::optional<FetchOptions::FromFleet> fleet;
    if (pin && options.from_fleet && !options.refresh) fleet = options.from_fleet(arch, pin->sha256);
    // The agent layer the lock pins may be in a registry: then the .deb is not needed either.
    std::optional<std::string> remote;
    const bool asked = !fleet && entry_pins && options.without_deb && !options.refresh && !options.offline &&
                       !entry->version.empty() && entry->layer && !entry->layer->files.empty() && entry->package &&
                       !fetcher.cached(pin->sha256);
    if (asked) remote = options.without_deb(arch, *entry);
    FetchedDeb deb;
    if (fleet) {
      deb = {arch, redact_url(url), pin->sha256, fleet->size, fleet->version, {}, false, fleet->layer, fleet->package, {}};
      log::verbose(arch + ": " + deb.url + " not read: another build of this fleet made its agent layer " +
                   fleet->layer.digest + " from the .deb with sha256 " + pin->sha256);
    } else if (remote) {
      deb = {arch, redact_url(url), entry->sha256, entry->size, entry->version, {}, false, entry->layer, entry->package, *remote};
      log::info(arch + ": " + deb.url + " not fetched: " + *remote + " holds the agent layer " + entry->layer->digest +
                " that " + lock_path.string() + " pins for it");
    } else {
      try {
        deb = fetcher.fetch(arch, url, pin, entry_pins ? entry->version : "");
      } catch (const Error& e) {
        if (!asked || e.code() != ExitCode::runtime) throw;
        throw Error(e.code(), e.what(),
                    std::string(e.hint()) + (e.hint().empty() ? "" : "; ") + "the registry does not hold the agent layer " +
                        entry->layer->digest + " that " + lock_path.string() + " pins for " + arch +
                        " either: once the download works, a build that pushes puts it there");
      }
    }
    if (entry_pins && entry->layer && !fleet) deb.layer = entry->layer;
    if (entry_pins && entry->package && !fleet) deb.package = entry->package;
    if (!desc_pin || entry) {
      LockEntry now{canonical, deb.sha256, deb.size, deb.version, entry_pins ? entry->layer : std::nullopt,
                    entry_pins ? entry->package : std::nullopt};
      auto it = updated.daemon.find(arch);
      if (it == updated.daemon.end() || !(it->second == now)) {
        updated.daemon[arch] = now;
        newly_pinned.push_back(arch);
      }
    }
    out.push_back(std::move(deb));
  }

  if (options.locked) return out;  // --locked never writes the lock, not even to drop pins

  // Pins of platforms the descriptor no longer has are dropped.
  bool pruned = false;
  for (auto it = updated.daemon.begin(); it != updated.daemon.end();) {
    bool used = std::any_of(out.begin(), out.end(), [&](const FetchedDeb& d) { return d.arch == it->first; });
    pruned |= !used;
    it = used ? std::next(it) : updated.daemon.erase(it);
  }
  if (pruned && newly_pinned.empty()) {
    write_lockfile(lock_path, updated);
    log::info("updated " + lock_path.string() + ": dropped the pins of platforms the descriptor no longer lists");
  }
  if (!newly_pinned.empty()) {
    write_lockfile(lock_path, updated);
    std::string archs;
    for (const auto& a : newly_pinned) archs += (archs.empty() ? "" : ", ") + a;
    log::info("wrote " + lock_path.string() + ": pinned the sha256 of the " + archs +
              " " + pkg.noun + " .deb; commit it so CI fetches exactly these bytes (--locked)");
  }
  return out;
}

void record_layers(const Descriptor& desc, const FetchOptions& options, const std::vector<FetchedDeb>& debs) {
  if (options.locked) return;
  const fs::path lock_path = lockfile_path(desc.path);
  const std::optional<LockFile> lock = read_lockfile(lock_path);
  LockFile updated = lock.value_or(LockFile{});
  for (const auto& d : debs) {
    if (!d.layer) continue;
    auto it = updated.daemon.find(d.arch);
    if (it == updated.daemon.end()) {  // pinned in the descriptor: the lock keeps what the build made of it
      const std::string canonical = redact_url(descriptor_url(agents::agent_for(desc).package(desc), d.arch));
      it = updated.daemon.emplace(d.arch, LockEntry{canonical, d.sha256, d.size, d.version, std::nullopt, std::nullopt}).first;
    }
    if (it->second.sha256 == d.sha256) {
      it->second.layer = d.layer;
      if (d.package) it->second.package = d.package;
    }
  }
  if (lock && updated == *lock) return;
  if (!lock && updated.daemon.empty()) return;
  write_lockfile(lock_path, updated);
  log::verbose("updated " + lock_path.string() + ": the daemon layers this build made from the pinned .debs");
}

}  // namespace xb
