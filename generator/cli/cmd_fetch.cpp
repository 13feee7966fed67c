// xraybake fetch [FILE|DIR...]: download and verify the agent .deb for every
// platform into the cache, pinning it in xraybake.lock; several descriptors
// one after another (a .deb they share is downloaded once when pinned), every
// one attempted.
#include <algorithm>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "fetch/fetch.h"
#include "fetch/lockfile.h"
#include "util/error.h"
#include "util/log.h"

namespace xb::cli {

void add_fetch(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "fetch", "Download and verify the X-Ray daemon .deb for every platform into the cache; write xraybake.lock");
  cmd->footer(
      "The URL is xray.url with {region} {arch} {version} expanded (https, http or file), or\n"
      "XRAYBAKE_DAEMON_URL (same placeholders) for a mirror. Each .deb is checked against\n"
      "xray.sha256.<arch> or xraybake.lock; the first fetch without a pin writes the lock.\n"
      "Retries with backoff on connection errors, timeouts, 5xx and 429; resumes with Range.\n\n"
      "Environment: XRAYBAKE_DAEMON_URL, XRAYBAKE_CA_BUNDLE (or SSL_CERT_FILE), HTTPS_PROXY,\n"
      "NO_PROXY, XRAYBAKE_RETRIES (5), XRAYBAKE_RETRY_BASE_MS (1000), XRAYBAKE_RETRY_MAX_MS\n"
      "(30000), XRAYBAKE_STALL_TIMEOUT (30 s under 1 KiB/s), XRAYBAKE_CONNECT_TIMEOUT (30 s).\n\n"
      "Exit status: 0 fetched; 1 network or I/O failure, a 404/403, a cache miss with --offline;\n"
      "2 a digest or signature mismatch, a missing pin with --locked, a bad descriptor.\n\n"
      "Examples:\n"
      "  xraybake fetch                          # ./xraybake.yaml, pins into ./xraybake.lock\n"
      "  xraybake fetch --locked                 # CI: only the pinned bytes\n"
      "  xraybake --offline fetch                # air-gapped: the cache only\n"
      "  xraybake fetch --json | jq -r .debs.amd64.path\n"
      "  xraybake fetch services/*               # a fleet: each descriptor, --json an array");
  struct Args {
    std::vector<std::string> files;
    bool refresh = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("FILE", args->files, "The descriptor (default ./xraybake.yaml; DIR means DIR/xraybake.yaml); several: each")
      ->type_name("FILE|DIR...");
  cmd->add_flag("--refresh", args->refresh, "Download again even when cached (still checked against the pins)");
  cmd->callback([&global, args] {
    std::vector<std::string> files = args->files;
    if (files.empty()) files.push_back("xraybake.yaml");
    for (auto& f : files) f = descriptor_path(f);
    FetchOptions options;
    options.cache_dir = global.cache_dir;
    options.offline = global.offline;
    options.locked = global.locked;
    options.ca_bundle = global.ca_bundle;
    options.refresh = args->refresh;
    auto fetch_one = [&](const std::string& file) {
      Descriptor desc = agents::load_descriptor(file);
      log::verbose("cache " + options.cache_dir + ", lock file " + lockfile_path(desc.path).string());
      std::vector<FetchedDeb> debs = fetch_all(desc, options);
      nlohmann::ordered_json out;
      out["file"] = file;
      out["lockfile"] = lockfile_path(desc.path).string();
      out["debs"] = nlohmann::ordered_json::object();
      for (const auto& d : debs)
        out["debs"][d.arch] = {{"url", d.url},   {"sha256", d.sha256},  {"size", d.size}, {"version", d.version},
                               {"path", d.path.string()}, {"downloaded", d.downloaded}};
      return out;
    };
    if (files.size() == 1) {
      auto out = fetch_one(files.front());
      if (global.json) std::cout << out.dump(2) << "\n";
      return;
    }
    // Several: each attempted; a failure reported under its file, the exit status the worst.
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    int worst = 0;
    for (const auto& f : files) {
      try {
        all.push_back(fetch_one(f));
      } catch (const Error& e) {
        std::cerr << error_text(e, f);
        auto failed = error_json(e);
        failed["file"] = f;
        all.push_back(failed);
        worst = std::max(worst, static_cast<int>(e.code()));
      }
    }
    if (global.json) std::cout << all.dump(2) << "\n";
    if (worst) throw Reported{static_cast<ExitCode>(worst)};
  });
}

}  // namespace xb::cli
