#include "supply/spdx.h"

#include <set>
#include <sstream>

#include "util/sha256.h"

namespace xb::supply {
namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kNoAssertion = "NOASSERTION";

std::string percent_colons(const std::string& s) {
  std::string out;
  for (char c : s) out += c == ':' ? std::string("%3A") : std::string(1, c);
  return out;
}

// The file name at the end of URL: "aws-xray-daemon-3.x.deb".
std::string file_name(const std::string& url) {
  std::string u = url.substr(0, url.find_first_of("?#"));
  auto slash = u.rfind('/');
  return slash == std::string::npos ? u : u.substr(slash + 1);
}

const char* role_package(SbomLayer::Role r) {
  switch (r) {
    case SbomLayer::Role::agent: return "agent";
    case SbomLayer::Role::supervisor: return "SPDXRef-Package-xraybake-init";
    default: return "SPDXRef-Image";
  }
}

const char* role_name(SbomLayer::Role r) {
  switch (r) {
    case SbomLayer::Role::agent: return "agent";
    case SbomLayer::Role::supervisor: return "supervisor";
    case SbomLayer::Role::service: return "service";
    case SbomLayer::Role::app: return "app";
  }
  return "layer";
}

// SPDX ids allow [A-Za-z0-9.-] only.
std::string spdx_id_part(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return out;
}

ojson checksum(const char* algorithm, const std::string& hex) {
  return {{"algorithm", algorithm}, {"checksumValue", hex}};
}

ojson relationship(const std::string& from, const char* type, const std::string& to) {
  return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

// xraybake-init and xraybake: ours, one version.
ojson xraybake_package(const std::string& id, const std::string& name, const std::string& version,
                       const char* purpose, const std::string& comment) {
  return {{"SPDXID", id},
          {"name", name},
          {"versionInfo", version},
          {"supplier", "Organization: xraybake"},
          {"downloadLocation", kNoAssertion},
          {"filesAnalyzed", false},
          {"homepage", kProjectUrl},
          {"licenseConcluded", kNoAssertion},
          {"licenseDeclared", kNoAssertion},
          {"copyrightText", kNoAssertion},
          {"comment", comment},
          {"primaryPackagePurpose", purpose}};
}

// An image (ours or the base), named by its manifest digest in a purl.
ojson container_package(const std::string& id, const std::string& name, const std::string& version,
                        const std::string& purl, const std::string& comment) {
  ojson p = {{"SPDXID", id}, {"name", name}};
  if (!version.empty()) p["versionInfo"] = version;
  p.update(ojson{{"downloadLocation", kNoAssertion},
                 {"filesAnalyzed", false},
                 {"licenseConcluded", kNoAssertion},
                 {"licenseDeclared", kNoAssertion},
                 {"copyrightText", kNoAssertion},
                 {"externalRefs",
                  {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", purl}}}},
                 {"comment", comment},
                 {"primaryPackagePurpose", "CONTAINER"}});
  return p;
}

}  // namespace

std::string arch_of(const std::string& platform) {
  auto slash = platform.find('/');
  std::string rest = slash == std::string::npos ? platform : platform.substr(slash + 1);
  return rest.substr(0, rest.find('/'));
}

std::string spdx_supplier(const std::string& maintainer) {
  std::string m = maintainer;
  while (!m.empty() && m.back() == ' ') m.pop_back();
  if (m.empty()) return kNoAssertion;
  auto lt = m.find('<');
  auto gt = m.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    std::string name = m.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    return "Organization: " + name + " (" + m.substr(lt + 1, gt - lt - 1) + ")";
  }
  return "Organization: " + m;
}

std::string spdx_license(const std::string& license) {
  static const std::set<std::string> known = {
      "Apache-2.0",   "MIT",          "BSD-2-Clause",     "BSD-3-Clause",      "ISC",          "MPL-2.0",
      "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",  "LGPL-2.1-only", "LGPL-2.1-or-later",
      "LGPL-3.0-only", "LGPL-3.0-or-later", "Unlicense",  "CC0-1.0",           "Zlib",         "0BSD"};
  std::istringstream in(license);
  std::string word;
  bool want_id = true, any = false;
  while (in >> word) {
    if (want_id) {
      if (!known.count(word)) return kNoAssertion;
      any = true;
    } else if (word != "AND" && word != "OR") {
      return kNoAssertion;
    }
    want_id = !want_id;
  }
  return any && !want_id ? license : kNoAssertion;
}

std::string oci_purl(const std::string& ref, const std::string& digest, const std::string& arch) {
  std::string name, repository, tag;
  if (ref.starts_with("oci:")) {
    std::string rest = ref.substr(4);
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
      tag = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
    auto slash = rest.rfind('/');
    name = slash == std::string::npos ? rest : rest.substr(slash + 1);
  } else {
    std::string r = ref.substr(0, ref.find('@'));
    if (r.starts_with("docker://")) r = r.substr(9);
    auto colon = r.rfind(':');
    if (colon != std::string::npos && r.find('/', colon) == std::string::npos) {
      tag = r.substr(colon + 1);
      r = r.substr(0, colon);
    }
    auto slash = r.rfind('/');
    name = slash == std::string::npos ? r : r.substr(slash + 1);
    if (slash != std::string::npos) repository = r;
  }
  std::string purl = "pkg:oci/" + name + "@" + percent_colons(digest) + "?arch=" + arch;
  if (!repository.empty()) purl += "&repository_url=" + percent_colons(repository);
  if (!tag.empty()) purl += "&tag=" + tag;
  return purl;
}

nlohmann::ordered_json spdx_document(const SbomInput& in) {
  const std::string arch = arch_of(in.platform);
  const std::string agent_id = "SPDXRef-Package-" + spdx_id_part(in.agent_kind);
  std::string service = in.image_name.substr(0, in.image_name.find('@'));
  std::string version = "latest";
  if (auto colon = service.rfind(':'); colon != std::string::npos && service.find('/', colon) == std::string::npos) {
    version = service.substr(colon + 1);
    service = service.substr(0, colon);
  }
  const std::string short_name = service.substr(service.rfind('/') + 1);

  ojson packages = ojson::array();
  packages.push_back(container_package(
      "SPDXRef-Image", short_name, version, oci_purl(in.image_name, in.manifest_digest, arch),
      "The " + in.platform + " image " + in.image_name + " (manifest " + in.manifest_digest +
          "), built by xraybake: what it adds to its base is below."));
  packages.push_back(container_package(
      "SPDXRef-Base", in.base_name, "", oci_purl(in.base_name, in.base_digest, arch),
      "The base image (service.base), its " + in.platform + " manifest " + in.base_digest +
          ": not described here; its own SBOM says what it holds."));
  const DebPackage& d = in.agent;
  ojson agent = {{"SPDXID", agent_id},
                 {"name", d.name},
                 {"versionInfo", d.version},
                 {"packageFileName", file_name(d.url)},
                 {"supplier", spdx_supplier(d.maintainer)}};
  if (!d.vendor.empty()) agent["originator"] = "Organization: " + d.vendor;
  agent["downloadLocation"] = d.url.empty() ? kNoAssertion : d.url;
  agent["filesAnalyzed"] = false;
  agent["checksums"] = {checksum("SHA256", d.sha256)};
  if (!d.homepage.empty()) agent["homepage"] = d.homepage;
  agent["licenseConcluded"] = spdx_license(d.license);
  agent["licenseDeclared"] = spdx_license(d.license);
  if (!d.license.empty() && spdx_license(d.license) == kNoAssertion)
    agent["licenseComments"] = "The package states \"" + d.license + "\", which is not an SPDX license expression xraybake knows.";
  agent["copyrightText"] = kNoAssertion;
  if (!d.summary.empty()) agent["summary"] = d.summary;
  agent["comment"] = "The " + in.agent_kind + " agent: the files its layer takes out of this .deb are listed (CONTAINS).";
  agent["primaryPackagePurpose"] = "APPLICATION";
  packages.push_back(agent);
  packages.push_back(xraybake_package("SPDXRef-Package-xraybake-init", "xraybake-init", in.xraybake_version,
                                      "APPLICATION", "The container's PID 1 supervisor, a static binary for " + arch +
                                                         " embedded in xraybake " + in.xraybake_version + "."));
  packages.push_back(xraybake_package("SPDXRef-Package-xraybake", "xraybake", in.xraybake_version, "APPLICATION",
                                      "The tool that built the image; not in it."));

  ojson files = ojson::array();
  ojson relationships = ojson::array();
  relationships.push_back(relationship("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
  relationships.push_back(relationship("SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-Base"));
  relationships.push_back(relationship("SPDXRef-Image", "CONTAINS", agent_id));
  relationships.push_back(relationship("SPDXRef-Image", "CONTAINS", "SPDXRef-Package-xraybake-init"));
  relationships.push_back(relationship("SPDXRef-Package-xraybake", "BUILD_TOOL_OF", "SPDXRef-Image"));
  for (const auto& layer : in.layers) {
    const std::string owner = layer.role == SbomLayer::Role::agent ? agent_id : role_package(layer.role);
    for (size_t i = 0; i < layer.files.size(); ++i) {
      const auto& f = layer.files[i];
      std::string id = "SPDXRef-File-" + std::string(role_name(layer.role)) + "-" + std::to_string(i + 1);
      files.push_back({{"SPDXID", id},
                       {"fileName", "." + f.path},
                       {"checksums", {checksum("SHA1", f.sha1), checksum("SHA256", f.sha256)}},
                       {"licenseConcluded", kNoAssertion},
                       {"copyrightText", kNoAssertion},
                       {"comment", std::to_string(f.size) + " bytes, in " + layer.file + " (" + layer.digest + ")"}});
      relationships.push_back(relationship(owner, "CONTAINS", id));
    }
  }

  ojson doc = {{"spdxVersion", "SPDX-2.3"},
               {"dataLicense", "CC0-1.0"},
               {"SPDXID", "SPDXRef-DOCUMENT"},
               {"name", short_name + "-" + version + "-" + arch},
               {"documentNamespace", ""},
               {"creationInfo",
                {{"created", in.created},
                 {"creators", {"Tool: xraybake-" + in.xraybake_version}},
                 {"comment", "What xraybake added to " + in.base_name + " for " + in.platform +
                                 "; created is SOURCE_DATE_EPOCH (1970-01-01T00:00:00Z when unset)."}}},
               {"packages", packages},
               {"files", files},
               {"relationships", relationships}};
  doc["documentNamespace"] = std::string(kSpdxNamespaceBase) + short_name + "-" + arch + "-" + sha256_hex(doc.dump());
  return doc;
}

}  // namespace xb::supply
