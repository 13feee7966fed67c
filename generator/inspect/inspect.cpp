#include "inspect/inspect.h"

#include <cstdio>

#include "oci/media_types.h"
#include "util/error.h"

namespace xb::inspect {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kLabelPrefix = "io.xraybake.";
constexpr std::string_view kCreatedByPrefix = "xraybake: ";

json parse_object(const oci::Document& d, const std::string& what, const std::string& where) {
  json j = json::parse(d.body, nullptr, false);
  if (!j.is_object()) fail_runtime(where + ": " + what + " " + d.digest + " is not a JSON object");
  return j;
}

std::string platform_text(const json& p) {
  if (!p.is_object()) return "";
  std::string s = p.value("os", "?") + "/" + p.value("architecture", "?");
  if (p.contains("variant") && p["variant"].is_string()) s += "/" + p["variant"].get<std::string>();
  return s;
}

// The agent its labels name: io.xraybake.<kind>.version (and .deb.url, .deb.sha256).
ordered_json agent_of(const json& labels) {
  for (const auto& [key, value] : labels.items()) {
    if (key.size() <= kLabelPrefix.size() + 8 || !key.starts_with(kLabelPrefix) || !key.ends_with(".version") ||
        !value.is_string())
      continue;
    std::string kind = key.substr(kLabelPrefix.size(), key.size() - kLabelPrefix.size() - 8);
    if (kind.empty() || kind.find('.') != std::string::npos) continue;  // io.xraybake.version is xraybake's own
    const std::string base = std::string(kLabelPrefix) + kind;
    return {{"kind", kind},
            {"version", value},
            {"deb_url", labels.value(base + ".deb.url", "")},
            {"deb_sha256", labels.value(base + ".deb.sha256", "")}};
  }
  return nullptr;
}

ordered_json referrers_of(oci::ImageSource& source, const std::string& subject) {
  std::string how;
  json index = source.referrers(subject, how);
  ordered_json artifacts = ordered_json::array();
  for (const auto& a : index["manifests"]) {
    if (!a.is_object() || !a.contains("digest") || !a["digest"].is_string()) continue;
    // Each artifact manifest is read: it exists, and its document's title.
    json m = parse_object(source.manifest(a["digest"], a.value("size", int64_t{-1})), "artifact manifest", source.describe());
    std::string title;
    int64_t document_size = 0;
    const json layers = m.value("layers", json::array());
    if (layers.is_array() && !layers.empty() && layers[0].is_object()) {
      title = layers[0].value("annotations", json::object()).value("org.opencontainers.image.title", "");
      document_size = layers[0].value("size", int64_t{0});
    }
    artifacts.push_back({{"artifactType", a.value("artifactType", m.value("artifactType", ""))},
                         {"digest", a["digest"]},
                         {"size", a.value("size", int64_t{0})},
                         {"title", title},
                         {"document_size", document_size},
                         {"annotations", a.value("annotations", json::object())}});
  }
  return {{"source", how}, {"artifacts", artifacts}};
}

ordered_json inspect_manifest(oci::ImageSource& source, const oci::Document& doc, const json& platform) {
  const std::string where = source.describe();
  json m = parse_object(doc, "manifest", where);
  if (!m.contains("config") || !m["config"].is_object() || !m["config"].contains("digest"))
    fail_runtime(where + ": manifest " + doc.digest + " has no config");
  const json& cd = m["config"];
  json config = parse_object(source.blob(cd["digest"], cd.value("size", int64_t{-1})), "config", where);
  json labels = config.value("config", json::object()).value("Labels", json::object());
  if (!labels.is_object()) labels = json::object();

  // The history entries that made a layer, in order, name what made each.
  std::vector<std::string> created_by;
  for (const auto& h : config.value("history", json::array()))
    if (h.is_object() && !h.value("empty_layer", false)) created_by.push_back(h.value("created_by", ""));
  const json layers_in = m.value("layers", json::array());
  if (created_by.size() != layers_in.size()) created_by.assign(layers_in.size(), "");
  ordered_json layers = ordered_json::array();
  int64_t total = 0;
  for (size_t i = 0; i < layers_in.size(); ++i) {
    const json& l = layers_in[i];
    int64_t size = l.value("size", int64_t{0});
    total += size;
    layers.push_back({{"digest", l.value("digest", "")},
                      {"size", size},
                      {"mediaType", l.value("mediaType", "")},
                      {"created_by", created_by[i]},
                      {"xraybake", created_by[i].starts_with(kCreatedByPrefix)}});
  }
  std::string plat = platform_text(platform);
  if (plat.empty()) plat = config.value("os", "?") + "/" + config.value("architecture", "?");
  ordered_json out = {{"platform", plat},
                      {"manifest", {{"digest", doc.digest}, {"size", doc.body.size()}}},
                      {"config", {{"digest", cd["digest"]}, {"size", cd.value("size", int64_t{0})}}},
                      {"created", config.value("created", "")}};
  out["xraybake_version"] = labels.contains("io.xraybake.version") ? ordered_json(labels["io.xraybake.version"]) : ordered_json();
  out["agent"] = agent_of(labels);
  out["layers"] = layers;
  out["size"] = total;
  out["referrers"] = referrers_of(source, doc.digest);
  return out;
}

std::string human(int64_t bytes) {
  char buf[32];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

nlohmann::ordered_json inspect_image(oci::ImageSource& source) {
  oci::Document root = source.root();
  ordered_json report = {{"reference", source.describe()}, {"digest", root.digest}, {"mediaType", root.media_type}};
  ordered_json platforms = ordered_json::array();
  if (oci::is_index(root.media_type)) {
    json index = parse_object(root, "index", source.describe());
    for (const auto& e : index.value("manifests", json::array())) {
      if (!e.is_object() || e.contains("artifactType") || !oci::is_manifest(e.value("mediaType", ""))) continue;
      oci::Document m = source.manifest(e.at("digest"), e.value("size", int64_t{-1}));
      platforms.push_back(inspect_manifest(source, m, e.value("platform", json())));
    }
  } else if (oci::is_manifest(root.media_type)) {
    platforms.push_back(inspect_manifest(source, root, json()));
  } else {
    fail_runtime(source.describe() + " is a \"" + root.media_type + "\", not an image index or manifest",
                 "name an image (its tag or digest)");
  }
  report["platforms"] = platforms;
  return report;
}

std::string report_text(const nlohmann::ordered_json& report) {
  std::string out = report["reference"].get<std::string>() + "\n  digest   " + report["digest"].get<std::string>() + "\n";
  for (const auto& p : report["platforms"]) {
    out += "\n" + p["platform"].get<std::string>() + "  " + p["manifest"]["digest"].get<std::string>() + "  " +
           human(p["size"]) + " in " + std::to_string(p["layers"].size()) + " layers\n";
    if (p["agent"].is_object())
      out += "  agent    " + p["agent"]["kind"].get<std::string>() + " " + p["agent"]["version"].get<std::string>() +
             (p["agent"]["deb_sha256"].get<std::string>().empty() ? "" : "  (.deb sha256 " + p["agent"]["deb_sha256"].get<std::string>() + ")") + "\n";
    else
      out += "  agent    none that xraybake added (no io.xraybake.<kind>.version label)\n";
    if (p["xraybake_version"].is_string()) out += "  xraybake " + p["xraybake_version"].get<std::string>() + "\n";
    if (!p["created"].get<std::string>().empty()) out += "  created  " + p["created"].get<std::string>() + "\n";
    out += "  layers\n";
    for (const auto& l : p["layers"]) {
      std::string what = l["created_by"];
      if (what.starts_with(kCreatedByPrefix)) what = what.substr(kCreatedByPrefix.size());
      else what = "base" + (what.empty() ? std::string() : ": " + what);
      if (what.size() > 90) what = what.substr(0, 87) + "...";
      out += "    " + l["digest"].get<std::string>().substr(0, 19) + "  " + pad(human(l["size"]), 10) + "  " + what + "\n";
    }
    const auto& artifacts = p["referrers"]["artifacts"];
    if (artifacts.empty()) {
      out += "  referrers none (no SBOM or provenance attached; looked in " + p["referrers"]["source"].get<std::string>() + ")\n";
      continue;
    }
    out += "  referrers (" + p["referrers"]["source"].get<std::string>() + ")\n";
    for (const auto& a : artifacts)
      out += "    " + pad(a["artifactType"], 36) + "  " + a["digest"].get<std::string>().substr(0, 19) + "  " +
             pad(human(a["document_size"]), 10) + "  " + a["title"].get<std::string>() + "\n";
  }
  return out;
}

}  // namespace xb::inspect
