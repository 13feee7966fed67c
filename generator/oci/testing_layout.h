// Test helper (header only): base OCI image layouts made with xraybake's own
// writer, single-platform (OCI or Docker media types) or an index of several.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/layer_writer.h"
#include "oci/layout_writer.h"
#include "oci/media_types.h"

namespace xb::oci::testing {

struct BaseSpec {
  std::vector<std::string> arches{"amd64"};
  bool index = false;   // an image index even for one platform
  bool docker = false;  // Docker media types
  std::string tag = "latest";
  std::vector<std::string> entrypoint{"/app/run"};
  std::vector<std::string> cmd{"--serve"};
};

// A manifest for ARCH with one layer holding /app/run and /etc/base-ARCH.
inline BlobRef base_manifest(LayoutWriter& layout, const std::string& arch, const BaseSpec& spec) {
  auto tmp = layout.dir() / ("layer-" + arch + ".tmp");
  LayerEntry app;
  app.path = "/app/run";
  app.mode = 0755;
  app.data = "#!/bin/sh\necho app\n";
  LayerEntry marker;
  marker.path = "/etc/base-" + arch;
  marker.data = arch + "\n";
  auto blob = write_layer(tmp, {app, marker}, 0);
  layout.put_file(tmp, blob.digest, blob.size);
  std::filesystem::remove(tmp);
  nlohmann::json config = {
      {"architecture", arch},
      {"os", "linux"},
      {"config",
       {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "BASE=1"}},
        {"Entrypoint", spec.entrypoint},
        {"Cmd", spec.cmd},
        {"WorkingDir", "/app"},
        {"Labels", {{"base.label", "kept"}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {blob.diff_id}}}},
      {"history", {{{"created", "2020-01-01T00:00:00Z"}, {"created_by", "base"}}}}};
  if (arch == "arm64") config["variant"] = "v8";
  std::string ctype = spec.docker ? "application/vnd.docker.container.image.v1+json" : std::string(kConfig);
  std::string ltype = spec.docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : std::string(kLayerGzip);
  std::string mtype = spec.docker ? std::string(kDockerManifest) : std::string(kManifest);
  auto cref = layout.put_json(config, ctype);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", mtype},
                             {"config", cref.descriptor()},
                             {"layers", {BlobRef{ltype, blob.digest, blob.size}.descriptor()}}};
  return layout.put_json(manifest, mtype);
}

inline void make_base(const std::filesystem::path& dir, const BaseSpec& spec = {}) {
  LayoutWriter layout(dir);
  nlohmann::json top;
  if (spec.arches.size() == 1 && !spec.index) {
    top = base_manifest(layout, spec.arches[0], spec).descriptor();
  } else {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& arch : spec.arches) {
      auto d = base_manifest(layout, arch, spec).descriptor();
      d["platform"] = {{"architecture", arch}, {"os", "linux"}};
      if (arch == "arm64") d["platform"]["variant"] = "v8";
      entries.push_back(d);
    }
    std::string itype = spec.docker ? std::string(kDockerManifestList) : std::string(kIndex);
    top = layout.put_json({{"schemaVersion", 2}, {"mediaType", itype}, {"manifests", entries}}, itype).descriptor();
  }
  top["annotations"] = {{"org.opencontainers.image.ref.name", spec.tag}};
  layout.write_index(top);
}

// Runs a shell command; its exit status and combined output.
struct RunResult {
  int status = -1;
  std::string output;
};
inline RunResult run(const std::string& command) {
  RunResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace xb::oci::testing
