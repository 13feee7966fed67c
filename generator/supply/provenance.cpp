#include "supply/provenance.h"

namespace xb::supply {
namespace {

using ojson = nlohmann::ordered_json;

ojson sha256_of(const std::string& digest) {
  return {{"sha256", digest.starts_with("sha256:") ? digest.substr(7) : digest}};
}

}  // namespace

nlohmann::ordered_json provenance_statement(const ProvenanceInput& in) {
  ojson subject = ojson::array();
  subject.push_back({{"name", in.image_name}, {"digest", sha256_of(in.index_digest)}});
  ojson platforms = ojson::array();
  ojson deps = ojson::array();
  for (const auto& p : in.platforms) {
    subject.push_back({{"name", in.image_name + " " + p.platform}, {"digest", sha256_of(p.manifest_digest)}});
    platforms.push_back(p.platform);
    deps.push_back({{"uri", p.deb_url},
                    {"digest", sha256_of(p.deb_sha256)},
                    {"name", p.deb_package + "_" + p.deb_version},
                    {"annotations", {{"platform", p.platform}, {"role", "agent"}}}});
  }
  for (const auto& p : in.platforms)
    deps.push_back({{"uri", in.base_name},
                    {"digest", sha256_of(p.base_digest)},
                    {"annotations", {{"platform", p.platform}, {"role", "base"}}}});
  return {{"_type", kStatementType},
          {"subject", subject},
          {"predicateType", kSlsaProvenanceType},
          {"predicate",
           {{"buildDefinition",
             {{"buildType", kBuildType},
              {"externalParameters",
               {{"descriptor", {{"path", in.descriptor_path}, {"digest", sha256_of(in.descriptor_sha256)}}},
                {"platforms", platforms},
                {"image", in.image_name}}},
              {"internalParameters",
               {{"source_date_epoch", in.source_date_epoch}, {"agent_kind", in.agent_kind}}},
              {"resolvedDependencies", deps}}},
            {"runDetails",
             {{"builder",
               {{"id", "https://github.com/xraybake/xraybake@v" + in.xraybake_version},
                {"version", {{"xraybake", in.xraybake_version}}}}}}}}}};
}

}  // namespace xb::supply
