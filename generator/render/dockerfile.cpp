// OUT/Dockerfile: the same image as OUT/oci, built without RUN and so without
// network: by docker buildx for a registry base; for a local layout by podman
// or buildah (FROM oci:DIR:TAG, the default of ARG BASE), or by a Docker engine
// once the base is loaded into it and named with --build-arg BASE=.
#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "render/escape.h"
#include "render/render.h"
#include "render/template.h"

namespace xb {

using kainjow::mustache::data;

std::string render_dockerfile(const Descriptor& desc, const RenderOptions& options) {
  const auto& s = desc.service;
  data d;
  d.set("xraybake_version", XRAYBAKE_VERSION);
  d.set("descriptor", comment_text(std::filesystem::path(desc.path).filename().string()));
  d.set("name", s.name);
  d.set("tag", s.tag);
  std::string platforms;
  for (const auto& p : s.platforms) platforms += (platforms.empty() ? "" : ",") + p;
  d.set("platforms", platforms);
  BaseRef base = parse_base(desc);
  // An oci: layout's DIR[:TAG], absolute: podman resolves oci: paths against its working directory.
  const std::string layout = base.dir + (base.tag.empty() ? "" : ":" + base.tag);
  d.set("from", base.oci_layout ? "oci:" + layout : base.reference);
  if (base.oci_layout) {
    // What the header tells a Docker user: the layout loaded under a local
    // name per platform (docker-daemon holds one), built FROM it via ARG BASE.
    data local;
    local.set("layout", layout);
    std::vector<data> docker;
    for (const auto& p : s.platforms) {
      std::string arch = platform_arch(p);
      data one;
      one.set("arch", arch);
      one.set("platform", p);
      one.set("image", "xraybake-base/" + s.name + ":" + arch);
      one.set("target", s.platforms.size() == 1 ? s.tag : s.tag + "-" + arch);
      docker.push_back(one);
    }
    local.set("docker", mustache_list(docker));
    d.set("local_base", local);
  }
  d.set("agent_layer", std::string(agents::agent_for(desc).kind()));
  d.set("has_app", !s.files.empty());
  d.set("ext", std::string(oci::compression_info(s.compression).extension));
  d.set("zstd", s.compression == oci::Compression::zstd);
  d.set("labels", mustache_pairs(s.labels, "key", "value"));
  d.set("env", mustache_pairs(image_env(desc), "name", "value"));
  if (s.workdir) d.set("workdir", *s.workdir);
  d.set("user", user_string(s));
  std::vector<data> ports;
  for (const auto& p : s.ports) ports.push_back(data("port", p));
  d.set("ports", mustache_list(ports));
  d.set("entrypoint", json_array(image_entrypoint()));
  auto cmd = app_command(desc, options);
  d.set("has_cmd", !cmd.empty());
  d.set("cmd", json_array(cmd));
  return render_template("Dockerfile.mustache", d, [](const std::string& v) { return dockerfile_quote(v); }, options);
}

}  // namespace xb
