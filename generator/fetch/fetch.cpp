#include "fetch/fetch.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "fetch/cache.h"
#include "fetch/deb_signature.h"
#include "fetch/download.h"
#include "fetch/lockfile.h"
#include "fetch/progress.h"
#include "fetch/url.h"
#include "http/net_settings.h"
#include "util/error.h"
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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string not_found_hint(const agents::Package& pkg, const std::string& arch) {
  const char* mirror = pkg.mirror_env.empty() ? nullptr : std::getenv(pkg.mirror_env.c_str());
  return "the server has no such file: " + pkg.not_found_hint + " (" + arch + ": amd64 or arm64)" +
         (mirror ? ", and " + pkg.mirror_env : ", and " + pkg.section + ".url");
}

// Removes a temporary download unless it was committed or is kept for resuming.
struct TempFile {
  fs::path path;
  bool keep = false;
  ~TempFile() {
    std::error_code ec;
    if (!keep) fs::remove(path, ec);
  }
};

class Fetcher {
 public:
  Fetcher(const Descriptor& desc, const agents::Package& pkg, const FetchOptions& options)
      : pkg_(pkg), options_(options), cache_(options.cache_dir), net_(net_settings_from_env(options.ca_bundle)) {
    if (pkg.signing_key) {
      fs::path key = *pkg.signing_key;
      if (key.is_relative()) key = fs::path(desc.path).parent_path() / key;  // relative to the descriptor
      signing_key_ = key.string();
    }
  }

  FetchedDeb fetch(const std::string& arch, const std::string& source, const std::optional<Pin>& pin) {
    const std::string url = redact_url(source);  // what is shown and recorded; SOURCE goes only to the network
    FileLock guard = cache_.lock_url(source);  // one process downloads; the others find it cached
    FetchedDeb deb{arch, url, "", 0, {}, false};

    std::optional<fs::path> hit;
    if (pin) {
      hit = cache_.find(pin->sha256);
      deb.sha256 = pin->sha256;
    } else if (auto entry = cache_.lookup_url(source)) {
      hit = cache_.find(entry->sha256);
      deb.sha256 = entry->sha256;
    }
    if (hit) {
      if (!signing_key_.empty()) verify_deb_signature(*hit, signing_key_, url);
      deb.path = *hit;
      deb.size = fs::file_size(*hit);
      cache_.record_url({source, deb.sha256, deb.size});
      log::info(arch + ": " + url + " (cached, " + human_bytes(deb.size) + ", sha256 " + deb.sha256 + ")");
      return deb;
    }
    if (options_.offline) {
      fail_runtime("--offline: the " + arch + " " + pkg_.noun + " .deb is not in the cache " + cache_.root().string() +
                       ": needs " + url +
                       (pin ? " with sha256 " + pin->sha256 : " (no pin; it was never fetched into this cache)"),
                   "run `xraybake fetch` with network access against the same --cache-dir, or copy the file to " +
                       (cache_.root() / "blobs" / "sha256").string() + "/<sha256>");
    }

    // With a pin, what a killed run left is resumed: the digest catches a stale leftover.
    TempFile temp{cache_.temp_path(source), pin.has_value()};
    DownloadContext context{arch, not_found_hint(pkg_, arch), pin.has_value(), pin ? pin->size : 0};
    Downloaded got = download_file(source, temp.path, net_, context);
    temp.keep = false;
    if (pin && got.sha256 != pin->sha256 && got.resumed_from > 0) {
      log::warn(arch + ": the partial download an earlier run left does not match the pin; downloading " + url +
                " again from the start");
      context.resume = false;
      got = download_file(source, temp.path, net_, context);
    }
    if (pin && got.sha256 != pin->sha256) {
      fail_input(url + ": sha256 mismatch for " + arch + ": expected " + pin->sha256 + " (" + pin->source +
                     "), got " + got.sha256,
                 "the file changed upstream, or a mirror or proxy served other bytes; nothing was cached. If the "
                 "new file is trusted, update the pin (or delete the entry from xraybake.lock) and fetch again");
    }
    if (!signing_key_.empty()) verify_deb_signature(temp.path, signing_key_, url);
    deb.sha256 = got.sha256;
    deb.size = got.size;
    deb.path = cache_.commit(temp.path, got.sha256);
    deb.downloaded = true;
    cache_.record_url({source, deb.sha256, deb.size});
    log::info(arch + ": fetched " + url + " (" + human_bytes(deb.size) + ", sha256 " + deb.sha256 + ")");
    return deb;
  }

 private:
  const agents::Package& pkg_;
  const FetchOptions& options_;
  DebCache cache_;
  NetSettings net_;
  std::string signing_key_;
};

}  // namespace

std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const FetchOptions& options) {
  const agents::Package pkg = agents::agent_for(desc).package(desc);
  Fetcher fetcher(desc, pkg, options);
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
    if (entry && entry->url != canonical) {
      if (options.locked)
        fail_input(lock_path.string() + ": daemon." + arch + " pins " + entry->url + " but the descriptor now asks for " +
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

    FetchedDeb deb = fetcher.fetch(arch, url, pin);
    if (!desc_pin || entry) {
      LockEntry now{canonical, deb.sha256, deb.size};
      auto it = updated.daemon.find(arch);
      if (it == updated.daemon.end() || !(it->second == now)) {
        updated.daemon[arch] = now;
        newly_pinned.push_back(arch);
      }
    }
    out.push_back(std::move(deb));
  }

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

}  // namespace xb
