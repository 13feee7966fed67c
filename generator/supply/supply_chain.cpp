#include "supply/supply_chain.h"

#include "deb/copyright.h"
#include "deb/deb_reader.h"
#include "oci/artifact_writer.h"
#include "oci/digest.h"
#include "oci/layout.h"
#include "supply/layer_contents.h"
#include "supply/provenance.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

#ifndef XRAYBAKE_VERSION
#define XRAYBAKE_VERSION "unknown"
#endif

namespace xb::supply {
namespace {

std::string field(const deb::ControlInfo& c, const std::string& key) {
  auto f = c.fields.find(key);
  return f == c.fields.end() ? "" : f->second;
}

}  // namespace

DebPackage read_deb_package(const std::filesystem::path& deb, const std::string& url, const std::string& sha256,
                            uint64_t size) {
  deb::ControlInfo c = deb::read_control(deb, url);
  DebPackage d;
  d.name = c.package;
  d.version = c.version;
  d.maintainer = field(c, "Maintainer");
  d.vendor = field(c, "Vendor");
  d.homepage = field(c, "Homepage");
  d.summary = field(c, "Description");
  d.license = deb::declared_license(c);
  d.url = url;
  d.sha256 = sha256;
  d.size = size;
  return d;
}

std::string sbom_file(const std::string& platform) { return "sbom/" + arch_of(platform) + ".spdx.json"; }

// TEXT as the file PATH and as its blob in LAYOUT: the same file (a hard
// link), as a layer and its blob are. Its digest.
static std::string write_document(oci::LayoutWriter& layout, const std::filesystem::path& path, const std::string& text) {
  write_file(path, text);
  std::string digest = oci::digest_of(text);
  layout.put_file(path, digest, text.size());
  return digest;
}

nlohmann::json write_supply_chain(const SupplyInput& in) {
  std::error_code ec;
  std::filesystem::create_directories(in.out_dir / "sbom", ec);
  if (ec) fail_runtime("cannot create " + (in.out_dir / "sbom").string() + ": " + ec.message());
  oci::LayoutWriter layout(in.out_dir / "oci");
  const std::map<std::string, std::string> annotations = {{"org.opencontainers.image.created", in.created}};

  ProvenanceInput prov;
  prov.image_name = in.image_name;
  prov.index_digest = in.index_digest;
  prov.descriptor_path = in.descriptor_path;
  prov.descriptor_sha256 = sha256_file_hex(in.descriptor_path);
  prov.base_name = in.base_name;
  prov.agent_kind = in.agent_kind;
  prov.source_date_epoch = in.source_date_epoch;
  prov.xraybake_version = XRAYBAKE_VERSION;

  nlohmann::json report = {{"sbom", nlohmann::json::object()}};
  std::vector<std::vector<nlohmann::json>> about(in.platforms.size());  // per platform, its artifacts
  for (size_t i = 0; i < in.platforms.size(); ++i) {
    const auto& p = in.platforms[i];
    SbomInput s;
    s.image_name = in.image_name;
    s.platform = p.platform;
    s.manifest_digest = p.manifest.value("digest", "");
    s.base_name = in.base_name;
    s.base_digest = p.base_digest;
    s.created = in.created;
    s.xraybake_version = XRAYBAKE_VERSION;
    s.agent_kind = in.agent_kind;
    s.agent = p.agent ? *p.agent : read_deb_package(p.deb, p.deb_url, p.deb_sha256, p.deb_size);
    for (const auto& l : p.layers)
      s.layers.push_back({l.role, l.file, l.digest, l.files ? *l.files : layer_contents(in.out_dir / l.file)});
    const std::string text = spdx_document(s).dump(2) + "\n";
    const std::string file = sbom_file(p.platform);
    const std::string digest = write_document(layout, in.out_dir / file, text);
    auto entry = oci::put_artifact(layout, {kSpdxArtifactType, kSpdxArtifactType, text,
                                            std::filesystem::path(file).filename().string(), p.manifest, annotations});
    about[i].push_back(entry);
    report["sbom"][p.platform] = {{"file", file}, {"digest", digest}, {"artifact", entry["digest"]}};
    prov.platforms.push_back({p.platform, s.manifest_digest, p.base_digest, p.deb_url, p.deb_sha256, s.agent.name,
                              s.agent.version});
  }
  const std::string text = provenance_statement(prov).dump(2) + "\n";
  const std::string digest = write_document(layout, in.out_dir / kProvenanceFile, text);
  nlohmann::json artifacts = nlohmann::json::array();
  for (size_t i = 0; i < in.platforms.size(); ++i) {
    const auto& p = in.platforms[i];
    auto entry = oci::put_artifact(layout, {kInTotoArtifactType, kInTotoArtifactType, text, kProvenanceFile, p.manifest,
                                            annotations});
    about[i].push_back(entry);
    artifacts.push_back({{"platform", p.platform}, {"artifact", entry["digest"]}});
  }
  report["provenance"] = {{"file", kProvenanceFile}, {"digest", digest}, {"artifacts", artifacts}};
  // Per platform manifest, its referrers as the referrers tag schema lists them.
  std::vector<nlohmann::json> tagged;
  report["referrers"] = nlohmann::json::object();
  for (size_t i = 0; i < in.platforms.size(); ++i) {
    const auto& p = in.platforms[i];
    tagged.push_back(oci::put_referrers(layout, p.manifest["digest"], about[i]));
    report["referrers"][p.platform] = {{"tag", tagged.back()["annotations"][oci::kRefNameAnnotation]},
                                       {"digest", tagged.back()["digest"]}};
  }
  oci::add_index_entries(layout.dir(), tagged);
  return report;
}

}  // namespace xb::supply
