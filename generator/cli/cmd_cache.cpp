// xraybake cache ls | verify | clean [--older-than DUR]: what the download
// and layer cache holds, checking it, emptying it (docs/cache.md).
#include <cctype>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "fetch/cache_admin.h"
#include "util/error.h"
#include "util/log.h"

namespace xb::cli {

namespace {

std::string when(std::filesystem::file_time_type t) {
  auto sys = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(t));
  std::time_t tt = std::chrono::system_clock::to_time_t(sys);
  char buf[32];
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "30d", "12h", "90m", "45s" (also together: "1d12h").
std::optional<std::chrono::seconds> parse_age(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9 || i == text.size()) return std::nullopt;
    int64_t n = std::stoll(text.substr(start, i - start));
    switch (text[i++]) {
      case 'd': total += n * 86400; break;
      case 'h': total += n * 3600; break;
      case 'm': total += n * 60; break;
      case 's': total += n; break;
      default: return std::nullopt;
    }
  }
  return std::chrono::seconds(total);
}

}  // namespace

void add_cache(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("cache", "List, verify or empty the download and layer cache (--cache-dir)");
  cmd->require_subcommand(1);
  cmd->footer(
      "The cache may be shared (a CI cache): nothing in it is trusted without being hashed again\n"
      "against a pin (docs/cache.md).\n\n"
      "Examples:\n"
      "  xraybake cache ls\n"
      "  xraybake cache verify             # exit 1 when something was bad (and removed)\n"
      "  xraybake cache clean --older-than 30d");

  cmd->add_subcommand("ls", "List every .deb, blob and layer: kind, sha256, size, version, last used, URL")
      ->callback([&global] {
        auto items = list_cache(global.cache_dir);
        if (global.json) {
          nlohmann::ordered_json out = nlohmann::ordered_json::array();
          for (const auto& i : items)
            out.push_back({{"kind", i.kind}, {"digest", i.digest}, {"size", i.size}, {"version", i.version},
                           {"last_used", when(i.last_used)}, {"url", i.url}, {"path", i.path.string()}});
          std::cout << out.dump(2) << "\n";
          return;
        }
        for (const auto& i : items)
          std::cout << i.kind << "\t" << (i.digest.empty() ? "-" : i.digest) << "\t" << i.size << "\t"
                    << (i.version.empty() ? "-" : i.version) << "\t" << when(i.last_used) << "\t"
                    << (i.url.empty() ? "-" : i.url) << "\n";
      });

  cmd->add_subcommand("verify", "Hash every blob and layer again; remove the bad ones (exit 1 if there were any)")
      ->callback([&global] {
        CacheCheck check = verify_cache(global.cache_dir);
        for (const auto& r : check.removed) log::warn("removed " + r);
        if (global.json)
          std::cout << nlohmann::json{{"checked", check.checked}, {"removed", check.removed}}.dump(2) << "\n";
        if (!check.removed.empty())
          fail_runtime(std::to_string(check.removed.size()) + " of " + std::to_string(check.checked) + " entries in " +
                           global.cache_dir + " did not match their digest and were removed",
                       "the next fetch or build downloads or makes them again; if this repeats, check the disk and "
                       "who else writes to the cache");
        log::info("verified " + std::to_string(check.checked) + " entries in " + global.cache_dir + ": all intact");
      });

  static std::string older_than;
  older_than.clear();
  auto* clean = cmd->add_subcommand("clean", "Remove everything in the cache, or what was not used for DUR");
  clean->add_option("--older-than", older_than, "Only what was last used longer ago than DUR (30d, 12h, 90m)")
      ->type_name("DUR");
  clean->callback([&global] {
    std::optional<std::chrono::seconds> age;
    if (!older_than.empty()) {
      age = parse_age(older_than);
      if (!age) fail_input("--older-than '" + older_than + "' is not a duration", "write e.g. 30d, 12h, 90m or 1d12h");
    }
    size_t n = clean_cache(global.cache_dir, age);
    if (global.json) std::cout << nlohmann::json{{"removed", n}}.dump(2) << "\n";
    log::info("removed " + std::to_string(n) + " files from " + global.cache_dir);
  });
}

}  // namespace xb::cli
