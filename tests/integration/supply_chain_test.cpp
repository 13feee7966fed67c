// `xraybake build` writes the supply-chain documents for every agent kind,
// through the real binary on the fixture .debs (file:// mirrors) and the
// amd64 + arm64 fixture base: OUT/sbom/<arch>.spdx.json validated against the
// official SPDX 2.3 JSON schema (python3-jsonschema) and read back by a
// second reader (python: its file hashes against the layer tarballs it opens
// itself, the namespace against the content), OUT/provenance.json against
// build.json, the descriptor and the .debs, and both attached in OUT/oci as
// OCI 1.1 artifacts about each platform manifest, the layout still read by
// skopeo, oci-image-tool and umoci.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/require.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

struct Kind {
  std::string name;       // agent.kind
  std::string agent;      // the descriptor's agent section
  std::string env;        // the mirror variable
  std::string url;        // file:// template
  std::string layer;      // layers/<kind>-<arch>.tar.gz
};

std::vector<Kind> kinds() {
  const std::string debs = fixtures::deb_dir();
  return {
      {"xray-daemon", "xray:\n  version: 3.6.6\n", "XRAYBAKE_DAEMON_URL",
       "file://" + debs + "/aws-xray-daemon-linux-{arch}-{version}.deb", "xray-daemon"},
      {"adot-collector",
       "agent:\n  kind: adot-collector\n  version: 0.49.0\n  signing_key: standin-signing-key.asc\n  region: eu-west-1\n",
       "XRAYBAKE_ADOT_URL", "file://" + debs + "/aws-otel-collector-{arch}-{version}.deb", "adot-collector"},
      {"otelcol-contrib", "agent:\n  kind: otelcol-contrib\n  version: 0.131.0\n  region: eu-west-1\n",
       "XRAYBAKE_OTELCOL_URL", "file://" + debs + "/otelcol/v0.131.0/otelcol-contrib_{version}_linux_{arch}.deb",
       "otelcol-contrib"},
      {"cloudwatch-agent",
       "agent:\n  kind: cloudwatch-agent\n  version: 1.300071.0\n  signing_key: standin-signing-key.asc\n  region: "
       "eu-west-1\n",
       "XRAYBAKE_CWAGENT_URL", "file://" + debs + "/cwagent/ubuntu/{arch}/1.300071.0/amazon-cloudwatch-agent.deb",
       "cloudwatch-agent"},
  };
}

std::string descriptor(const Kind& k) {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "  tag: orders-api:1.4.2\n"
         "  files: [{from: app.txt, to: /app/app.txt}]\n" + k.agent;
}

json read_json(const fs::path& p) { return json::parse(slurp(p)); }
fs::path blob(const fs::path& layout, const std::string& digest) { return layout / "blobs/sha256" / digest.substr(7); }

// The second reader: python3 with jsonschema and tarfile, nothing of xraybake's.
// Validates each SBOM against the schema, recomputes its namespace from its
// content, hashes every regular file of the layers it names and compares, and
// prints what it read as JSON.
const char* kReader = R"PY(
import hashlib, json, sys, tarfile, jsonschema
schema = json.load(open(sys.argv[1]))
out_dir = sys.argv[2]
result = {}
for path in sys.argv[3:]:
    doc = json.load(open(path))
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=str)
    if errors:
        sys.exit('%s: %s at %s' % (path, errors[0].message, list(errors[0].absolute_path)))
    ns = doc['documentNamespace']
    blank = dict(doc)
    blank['documentNamespace'] = ''
    text = json.dumps(blank, separators=(',', ':'), ensure_ascii=False)
    if not ns.endswith('-' + hashlib.sha256(text.encode()).hexdigest()):
        sys.exit('%s: the namespace is not the sha256 of the content' % path)
    ids = {p['SPDXID']: p for p in doc['packages']}
    files = {f['SPDXID']: f for f in doc['files']}
    rel = doc['relationships']
    def related(a, t):
        return [r['relatedSpdxElement'] for r in rel if r['spdxElementId'] == a and r['relationshipType'] == t]
    assert related('SPDXRef-DOCUMENT', 'DESCRIBES') == ['SPDXRef-Image']
    base = related('SPDXRef-Image', 'DESCENDANT_OF')
    assert base == ['SPDXRef-Base'], base
    contained = related('SPDXRef-Image', 'CONTAINS')
    agent = [i for i in contained if i.startswith('SPDXRef-Package-') and i != 'SPDXRef-Package-xraybake-init']
    assert len(agent) == 1, contained
    a = ids[agent[0]]
    # Every file, hashed again out of the layer tarball its comment names.
    layers = {}
    for f in doc['files']:
        layer = f['comment'].split(' in ')[1].split(' ')[0]
        if layer not in layers:
            with tarfile.open(out_dir + '/' + layer) as t:
                layers[layer] = {'/' + (m.name[2:] if m.name.startswith('./') else m.name).lstrip('/'):
                                 hashlib.sha256(t.extractfile(m).read()).hexdigest()
                                 for m in t.getmembers() if m.isreg()}
        want = {c['algorithm']: c['checksumValue'] for c in f['checksums']}
        got = layers[layer].get(f['fileName'][1:])
        if got != want['SHA256']:
            sys.exit('%s: %s in %s has sha256 %s, the SBOM says %s' % (path, f['fileName'], layer, got, want['SHA256']))
    for layer, content in layers.items():
        listed = [f['fileName'][1:] for f in doc['files'] if (' in ' + layer + ' ') in f['comment']]
        assert sorted(listed) == sorted(content), (layer, listed, list(content))
    owner = {r['relatedSpdxElement']: r['spdxElementId'] for r in rel if r['relationshipType'] == 'CONTAINS' and r['relatedSpdxElement'] in files}
    result[path] = {
        'created': doc['creationInfo']['created'],
        'agent': {k: a.get(k) for k in ('name', 'versionInfo', 'supplier', 'downloadLocation', 'licenseDeclared', 'licenseConcluded')},
        'agent_sha256': [c['checksumValue'] for c in a['checksums'] if c['algorithm'] == 'SHA256'],
        'agent_files': sorted(files[i]['fileName'] for i in related(agent[0], 'CONTAINS')),
        'init_files': sorted(files[i]['fileName'] for i in related('SPDXRef-Package-xraybake-init', 'CONTAINS')),
        'image_files': sorted(files[i]['fileName'] for i in contained if i in files),
        'image_purl': ids['SPDXRef-Image']['externalRefs'][0]['referenceLocator'],
        'base_purl': ids['SPDXRef-Base']['externalRefs'][0]['referenceLocator'],
        'xraybake': ids['SPDXRef-Package-xraybake']['versionInfo'],
        'build_tool_of': related('SPDXRef-Package-xraybake', 'BUILD_TOOL_OF'),
        'unowned': [i for i in files if i not in owner],
    }
print(json.dumps(result))
)PY";

class SupplyChain : public ::testing::TestWithParam<Kind> {
 protected:
  TempDir dir;
  RunResult build(const std::string& out = "out", const std::string& epoch = "1700000000") {
    const Kind& k = GetParam();
    return run_command({XB_XRAYBAKE_BIN, "build", "-o", out, "--cache-dir", (dir / "cache").string()},
                       {{k.env, k.url}, {"SOURCE_DATE_EPOCH", epoch}}, dir.path().string());
  }
  void prepare() {
    spit(dir / "xraybake.yaml", descriptor(GetParam()));
    spit(dir / "app.txt", "the app\n");
    fs::copy_file(fixtures::signing_key_asc(), dir / "standin-signing-key.asc");
  }
};

// The .deb's control field KEY, as dpkg-deb reads it.
std::string control_field(const std::string& deb, const std::string& key) {
  auto r = run_command({"dpkg-deb", "-f", deb, key});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string v = r.out;
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

TEST_P(SupplyChain, SbomPerPlatformIsValidSpdxAndSaysWhatWasAdded) {
  XB_REQUIRE_TOOL("python3", "python3");
  XB_REQUIRE_TOOL("dpkg-deb", "dpkg");
  prepare();
  auto r = build();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir / "out";
  const json report = read_json(out / "build.json");
  std::vector<std::string> args{"python3", "-c", kReader, std::string(XB_SOURCE_DIR) + "/tests/fixtures/spdx-2.3.schema.json",
                                out.string()};
  for (const std::string arch : {"amd64", "arm64"}) args.push_back((out / "sbom" / (arch + ".spdx.json")).string());
  auto py = run_command(args);
  ASSERT_EQ(py.exit_code, 0) << py.err << py.out;
  const json read = json::parse(py.out);
  const std::string kind = GetParam().layer;
  for (size_t i = 0; i < 2; ++i) {
    const json& p = report["platforms"][i];
    const std::string arch = i == 0 ? "amd64" : "arm64";
    const json& s = read[(out / "sbom" / (arch + ".spdx.json")).string()];
    // The agent's package: what its control file says (read by dpkg-deb here), where it came from, its sha256.
    const std::string url = p["daemon"]["url"];
    EXPECT_EQ(s["agent"]["downloadLocation"], url);
    EXPECT_EQ(s["agent_sha256"], json({p["daemon"]["sha256"]}));
    EXPECT_EQ(s["agent"]["versionInfo"], p["daemon"]["version"]);
    std::string local = url.substr(7);  // file://
    EXPECT_EQ(s["agent"]["name"], control_field(local, "Package"));
    EXPECT_EQ(s["agent"]["versionInfo"], control_field(local, "Version"));
    EXPECT_EQ(s["agent"]["supplier"], "Organization: xraybake tests (tests@xraybake.invalid)")
        << "from Maintainer: " << control_field(local, "Maintainer");
    EXPECT_EQ(s["agent"]["licenseDeclared"], "Apache-2.0");
    EXPECT_EQ(s["agent_sha256"][0], sha256_hex(slurp(local)));
    // The files of each added layer, under the package that put them there.
    EXPECT_THAT(s["agent_files"].get<std::vector<std::string>>(), ::testing::Not(::testing::IsEmpty()));
    EXPECT_EQ(s["init_files"], json({"./usr/local/bin/xraybake-init"}));
    EXPECT_THAT(s["image_files"].get<std::vector<std::string>>(), ::testing::Contains("./app/app.txt"));
    EXPECT_THAT(s["image_files"].get<std::vector<std::string>>(), ::testing::Contains("./etc/xraybake/init.conf"));
    EXPECT_EQ(s["unowned"], json::array());
    // Related to the base by its platform manifest's digest; the image by its own.
    const std::string base_digest = read_json(blob(out / "oci", p["config"]["digest"]))["config"]["Labels"]
                                        ["org.opencontainers.image.base.digest"];
    EXPECT_THAT(s["base_purl"].get<std::string>(), HasSubstr("@sha256%3A" + base_digest.substr(7) + "?arch=" + arch));
    EXPECT_EQ(s["image_purl"], "pkg:oci/orders-api@sha256%3A" + p["manifest"]["digest"].get<std::string>().substr(7) +
                                   "?arch=" + arch + "&tag=1.4.2");
    EXPECT_EQ(s["xraybake"], report["xraybake_version"]);
    EXPECT_EQ(s["build_tool_of"], json({"SPDXRef-Image"}));
    EXPECT_EQ(s["created"], "2023-11-14T22:13:20Z");
    EXPECT_EQ(report["sbom"]["linux/" + arch]["file"], "sbom/" + arch + ".spdx.json");
    EXPECT_EQ(report["sbom"]["linux/" + arch]["digest"],
              "sha256:" + sha256_hex(slurp(out / "sbom" / (arch + ".spdx.json"))));
  }
}

TEST_P(SupplyChain, ProvenanceIsAnInTotoStatementOfTheBuild) {
  prepare();
  auto r = build();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir / "out";
  const json report = read_json(out / "build.json");
  const json st = read_json(out / "provenance.json");
  EXPECT_EQ(st["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  ASSERT_EQ(st["subject"].size(), 3u);
  EXPECT_EQ(st["subject"][0], json({{"name", "orders-api:1.4.2"}, {"digest", {{"sha256", report["oci"]["index"]["digest"].get<std::string>().substr(7)}}}}));
  for (size_t i = 0; i < 2; ++i) {
    const json& p = report["platforms"][i];
    EXPECT_EQ(st["subject"][i + 1]["name"], "orders-api:1.4.2 " + p["platform"].get<std::string>());
    EXPECT_EQ(st["subject"][i + 1]["digest"]["sha256"], p["manifest"]["digest"].get<std::string>().substr(7));
  }
  const json& bd = st["predicate"]["buildDefinition"];
  EXPECT_EQ(bd["buildType"], "https://github.com/xraybake/xraybake/buildtypes/v1");
  EXPECT_EQ(bd["externalParameters"]["descriptor"]["path"], "xraybake.yaml");
  EXPECT_EQ(bd["externalParameters"]["descriptor"]["digest"]["sha256"], sha256_hex(slurp(dir / "xraybake.yaml")));
  EXPECT_EQ(bd["externalParameters"]["platforms"], json({"linux/amd64", "linux/arm64"}));
  EXPECT_EQ(bd["internalParameters"]["source_date_epoch"], 1700000000);
  EXPECT_EQ(bd["internalParameters"]["agent_kind"], GetParam().name);
  const json& deps = bd["resolvedDependencies"];
  ASSERT_EQ(deps.size(), 4u);
  for (size_t i = 0; i < 2; ++i) {
    const json& p = report["platforms"][i];
    EXPECT_EQ(deps[i]["uri"], p["daemon"]["url"]);
    EXPECT_EQ(deps[i]["digest"]["sha256"], p["daemon"]["sha256"]);
    const std::string base_digest = read_json(blob(out / "oci", p["config"]["digest"]))["config"]["Labels"]
                                        ["org.opencontainers.image.base.digest"];
    EXPECT_EQ(deps[i + 2]["uri"], "oci:" + fixtures::base_multi_oci() + ":latest");
    EXPECT_EQ(deps[i + 2]["digest"]["sha256"], base_digest.substr(7));
  }
  EXPECT_EQ(st["predicate"]["runDetails"]["builder"]["id"],
            "https://github.com/xraybake/xraybake@v" + report["xraybake_version"].get<std::string>());
  EXPECT_EQ(report["provenance"]["digest"], "sha256:" + sha256_hex(slurp(out / "provenance.json")));
}

// Both documents in OUT/oci, as artifacts whose subject is each platform
// manifest, listed in index.json after the image by the referrers tag schema:
// per platform manifest an index tagged sha256-<hex of it>.
TEST_P(SupplyChain, AttachedAsOci11ArtifactsAboutEachPlatformManifest) {
  prepare();
  auto r = build();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir / "out", oci = out / "oci";
  const json report = read_json(out / "build.json");
  const json index = read_json(oci / "index.json");
  ASSERT_EQ(index["manifests"].size(), 3u) << index.dump(2);
  EXPECT_EQ(index["manifests"][0]["digest"], report["oci"]["index"]["digest"]);
  std::map<std::string, int> by_type;
  for (size_t i = 1; i < 3; ++i) {
    const json& tagged = index["manifests"][i];
    const json& p = report["platforms"][i - 1];
    const std::string platform = p["platform"];
    const std::string subject = p["manifest"]["digest"];
    EXPECT_EQ(tagged["mediaType"], "application/vnd.oci.image.index.v1+json");
    EXPECT_EQ(tagged["annotations"]["org.opencontainers.image.ref.name"], "sha256-" + subject.substr(7));
    EXPECT_EQ(report["referrers"][platform]["tag"], "sha256-" + subject.substr(7));
    EXPECT_EQ(report["referrers"][platform]["digest"], tagged["digest"]);
    const json referrers = read_json(blob(oci, tagged["digest"]));
    ASSERT_EQ(referrers["manifests"].size(), 2u) << referrers.dump(2);
    for (const json& e : referrers["manifests"]) {
      const json m = read_json(blob(oci, e["digest"]));
      EXPECT_EQ(m["artifactType"], e["artifactType"]);
      EXPECT_EQ(m["annotations"], e["annotations"]) << "listed as the referrers API lists it";
      EXPECT_EQ(m["subject"]["digest"], subject);
      EXPECT_EQ(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
      EXPECT_EQ(slurp(blob(oci, m["config"]["digest"])), "{}");
      ASSERT_EQ(m["layers"].size(), 1u);
      const std::string doc = slurp(blob(oci, m["layers"][0]["digest"]));
      if (e["artifactType"] == "application/spdx+json") {
        EXPECT_EQ(doc, slurp(out / report["sbom"][platform]["file"].get<std::string>()));
        EXPECT_TRUE(fs::equivalent(blob(oci, m["layers"][0]["digest"]),
                                   out / report["sbom"][platform]["file"].get<std::string>()))
            << "the blob is the SBOM's file (a hard link), not a second copy";
        EXPECT_EQ(e["digest"], report["sbom"][platform]["artifact"]);
      } else {
        EXPECT_EQ(e["artifactType"], "application/vnd.in-toto+json");
        EXPECT_EQ(doc, slurp(out / "provenance.json"));
        EXPECT_TRUE(fs::equivalent(blob(oci, m["layers"][0]["digest"]), out / "provenance.json"));
        EXPECT_EQ(e["digest"], report["provenance"]["artifacts"][i - 1]["artifact"]);
      }
      ++by_type[e["artifactType"]];
    }
  }
  EXPECT_EQ(by_type["application/spdx+json"], 2);
  EXPECT_EQ(by_type["application/vnd.in-toto+json"], 2);
}

TEST_P(SupplyChain, TwoBuildsWriteTheSameDocumentsAndSourceDateEpochDatesThem) {
  prepare();
  ASSERT_EQ(build("a").exit_code, 0);  // cold: the agent's files read from its layer, and recorded in the lock
  ASSERT_EQ(build("b").exit_code, 0);  // warm: the pinned layer from the cache, its files as the lock recorded them
  for (auto f : {"sbom/amd64.spdx.json", "sbom/arm64.spdx.json", "provenance.json", "oci/index.json"})
    EXPECT_EQ(slurp(dir / "a" / f), slurp(dir / "b" / f)) << f;
  ASSERT_EQ(build("c", "").exit_code, 0);
  EXPECT_EQ(read_json(dir / "c/sbom/amd64.spdx.json")["creationInfo"]["created"], "1970-01-01T00:00:00Z");
  EXPECT_NE(read_json(dir / "a/sbom/amd64.spdx.json")["documentNamespace"],
            read_json(dir / "c/sbom/amd64.spdx.json")["documentNamespace"]);
}

INSTANTIATE_TEST_SUITE_P(EveryAgentKind, SupplyChain, ::testing::ValuesIn(kinds()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// The layout with its artifacts is still what the tools read: skopeo copies
// the image by tag and the referrers by theirs, oci-image-tool validates the
// artifact manifests, the referrers indexes and a single-platform layout that
// lists its referrers, umoci unpacks that.
TEST(SupplyChainTools, LayoutWithArtifactsIsStillReadBySkopeoOciImageToolAndUmoci) {
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  XB_REQUIRE_TOOL("oci-image-tool", "oci-image-tool");
  XB_REQUIRE_TOOL("umoci", "umoci");
  XB_REQUIRE_ROOT("umoci unpack");
  TempDir dir;
  const Kind k = kinds()[0];
  spit(dir / "xraybake.yaml", descriptor(k));
  spit(dir / "app.txt", "the app\n");
  auto r = run_command({XB_XRAYBAKE_BIN, "build", "-o", "out", "--cache-dir", (dir / "cache").string()},
                       {{k.env, k.url}, {"SOURCE_DATE_EPOCH", "1700000000"}}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path oci = dir / "out/oci";
  r = run_command({"skopeo", "copy", "--all", "oci:" + oci.string() + ":1.4.2", "oci:" + (dir / "copy").string() + ":x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(dir / "copy/index.json")["manifests"][0]["digest"], read_json(oci / "index.json")["manifests"][0]["digest"]);
  const json index = read_json(oci / "index.json");
  const json image_index = read_json(blob(oci, index["manifests"][0]["digest"]));
  ASSERT_EQ(index["manifests"].size(), 3u);
  for (size_t i = 1; i < index["manifests"].size(); ++i) {
    const std::string tag = index["manifests"][i]["annotations"]["org.opencontainers.image.ref.name"];
    r = run_command({"oci-image-tool", "validate", "--type", "imageIndex", blob(oci, index["manifests"][i]["digest"]).string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const json referrers = read_json(blob(oci, index["manifests"][i]["digest"]));
    for (const json& e : referrers["manifests"]) {
      r = run_command({"oci-image-tool", "validate", "--type", "manifest", blob(oci, e["digest"]).string()});
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    r = run_command({"skopeo", "copy", "--all", "oci:" + oci.string() + ":" + tag, "oci:" + (dir / "copy").string() + ":" + tag});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // oci-image-tool 1.0.0-rc1 and umoci 0.4 read no nested index: the amd64
  // manifest tagged at the top, its referrers index listed after it.
  fs::copy(oci, dir / "single", fs::copy_options::recursive);
  json amd64 = image_index["manifests"][0];
  amd64.erase("platform");
  amd64["annotations"] = {{"org.opencontainers.image.ref.name", "1.4.2"}};
  json entries = json::array({amd64});
  for (size_t i = 1; i < index["manifests"].size(); ++i)
    if (index["manifests"][i]["annotations"]["org.opencontainers.image.ref.name"] ==
        "sha256-" + amd64["digest"].get<std::string>().substr(7))
      entries.push_back(index["manifests"][i]);
  ASSERT_EQ(entries.size(), 2u);
  fs::remove(dir / "single/index.json");
  spit(dir / "single/index.json", json{{"schemaVersion", 2}, {"manifests", entries}}.dump());
  r = run_command({"oci-image-tool", "validate", "--type", "image", "--ref", "name=1.4.2", (dir / "single").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command({"umoci", "unpack", "--image", (dir / "single").string() + ":1.4.2", (dir / "bundle").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(slurp(dir / "bundle/rootfs/app/app.txt"), "the app\n");
}

}  // namespace
}  // namespace xb::test
