// `xraybake build` through the real binary up to the OCI image: the fixture
// .debs (file:// mirror) on the fixture base layouts, checked with real tools
// (skopeo inspect/copy, oci-image-tool, umoci unpack) for amd64 alone and for
// an amd64 + arm64 index, plus the refusals that must be exit 2.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>

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

std::string mirror(const std::string& file = "aws-xray-daemon-linux-{arch}-{version}.deb") {
  return "file://" + fixtures::deb_dir() + "/" + file;
}

std::string descriptor(const std::string& base, const std::string& platforms, const std::string& extra = "") {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + base + ":latest\n"
         "  platforms: [" + platforms + "]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "  env: {ASPNETCORE_URLS: \"http://+:5000\"}\n"
         "  ports: [\"5000/tcp\"]\n"
         "  tag: orders-api:1.4.2\n"
         "  labels: {team: payments}\n" + extra +
         "xray:\n"
         "  version: 3.6.6\n"
         "  config: {TotalBufferSizeMB: 24, LocalMode: true}\n";
}

// xraybake build in DIR (xraybake.yaml there) into DIR/OUT.
RunResult build(const fs::path& dir, const std::string& out = "out", const std::string& url = mirror(),
                const std::string& epoch = "1700000000") {
  return run_command({XB_XRAYBAKE_BIN, "build", "-o", out, "--cache-dir", (dir / "cache").string()},
                     {{"XRAYBAKE_DAEMON_URL", url}, {"SOURCE_DATE_EPOCH", epoch}}, dir.string());
}

json read_json(const fs::path& p) { return json::parse(slurp(p)); }
fs::path blob(const fs::path& layout, const std::string& digest) {
  return layout / "blobs/sha256" / digest.substr(7);
}

// The /usr/bin/xray inside a fixture .deb, as dpkg-deb sees it.
std::string deb_binary(const std::string& arch, const fs::path& tmp) {
  fs::path x = tmp / ("deb-" + arch);
  auto r = run_command({"dpkg-deb", "-x", fixtures::deb(arch), x.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return slurp(x / "usr/bin/xray");
}

// A copy of LAYOUT whose index.json points straight at one platform's
// manifest: what umoci 0.4 and oci-image-tool 1.0.0-rc1 can read.
fs::path single_platform(const fs::path& layout, const json& manifest_desc, const fs::path& dest) {
  fs::copy(layout, dest, fs::copy_options::recursive);
  json entry = manifest_desc;
  entry.erase("platform");
  entry["annotations"] = {{"org.opencontainers.image.ref.name", "1.4.2"}};
  spit(dest / "index.json", json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump());
  return dest;
}

// Everything a build promises about OUT, for each platform of the index.
void check_outputs(const fs::path& out, const std::vector<std::string>& arches, const std::string& ext = ".tar.gz") {
  fs::path oci = out / "oci";
  auto report = read_json(out / "build.json");
  auto index_json = read_json(oci / "index.json");
  // The image, then per platform the referrers index of its SBOM and
  // provenance, tagged sha256-<hex> (supply_chain_test.cpp).
  ASSERT_EQ(index_json["manifests"].size(), 1u + arches.size());
  for (size_t i = 1; i < index_json["manifests"].size(); ++i)
    EXPECT_THAT(index_json["manifests"][i]["annotations"]["org.opencontainers.image.ref.name"].get<std::string>(),
                ::testing::StartsWith("sha256-"))
        << index_json.dump(2);
  const auto& top = index_json["manifests"][0];
  EXPECT_EQ(top["annotations"]["org.opencontainers.image.ref.name"], "1.4.2");
  EXPECT_EQ(top["annotations"]["io.containerd.image.name"], "orders-api:1.4.2");
  EXPECT_EQ(top["digest"], report["oci"]["index"]["digest"]);
  auto index = read_json(blob(oci, top["digest"]));
  ASSERT_EQ(index["manifests"].size(), arches.size());
  ASSERT_EQ(report["platforms"].size(), arches.size());
  for (size_t i = 0; i < arches.size(); ++i) {
    EXPECT_EQ(index["manifests"][i]["platform"]["architecture"], arches[i]);
    EXPECT_EQ(report["platforms"][i]["platform"], "linux/" + arches[i]);
    EXPECT_EQ(report["platforms"][i]["manifest"]["digest"], index["manifests"][i]["digest"]);
    EXPECT_EQ(report["platforms"][i]["daemon"]["url"], mirror("aws-xray-daemon-linux-" + arches[i] + "-3.6.6.deb"));
    EXPECT_EQ(report["platforms"][i]["daemon"]["size"], fs::file_size(fixtures::deb(arches[i])));
    EXPECT_EQ(report["platforms"][i]["daemon"]["sha256"].get<std::string>().size(), 64u);
  }
  // Each OUT/layers file is byte for byte a blob of the layout.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(out / "layers")) {
    ++files;
    std::string name = "layers/" + e.path().filename().string();
    ASSERT_TRUE(report["layers"].contains(name)) << name;
    EXPECT_EQ(slurp(e.path()), slurp(blob(oci, report["layers"][name]["digest"]))) << name;
  }
  EXPECT_EQ(files, 2 * arches.size() + 1);
  // The Dockerfile's ADD lines consume exactly those files.
  std::string df = slurp(out / "Dockerfile");
  EXPECT_THAT(df, HasSubstr("ADD layers/xray-daemon-${TARGETARCH}" + ext + " /"));
  EXPECT_THAT(df, HasSubstr("ADD layers/xraybake-init-${TARGETARCH}" + ext + " /"));
  EXPECT_THAT(df, HasSubstr("ADD layers/service" + ext + " /"));
}

void check_with_tools(const fs::path& dir, const fs::path& out, const std::vector<std::string>& arches) {
  fs::path oci = out / "oci";
  std::string ref = "oci:" + oci.string() + ":1.4.2";
  auto index = read_json(blob(oci, read_json(oci / "index.json")["manifests"][0]["digest"]));
  for (size_t i = 0; i < arches.size(); ++i) {
    const std::string& arch = arches[i];
    auto r = run_command({"skopeo", "inspect", "--override-os", "linux", "--override-arch", arch, ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out);
    EXPECT_EQ(j["Architecture"], arch);
    EXPECT_EQ(j["Labels"]["team"], "payments");
    EXPECT_EQ(j["Labels"]["io.xraybake.xray-daemon.version"], "3.6.6");
    EXPECT_EQ(j["Labels"]["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
    r = run_command({"skopeo", "inspect", "--config", "--override-arch", arch, ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto c = json::parse(r.out)["config"];
    EXPECT_EQ(c["Entrypoint"], json({"/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--"}));
    EXPECT_EQ(c["Cmd"], json({"/usr/local/bin/standin-app"}));
    EXPECT_EQ(c["User"], "10001:10001");
    EXPECT_THAT(c["Env"].get<std::vector<std::string>>(), ::testing::Contains("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"));
    EXPECT_TRUE(c["ExposedPorts"].contains("5000/tcp"));

    // oci-image-tool 1.0.0-rc1 knows no nested index: each blob, then each
    // platform as a single-manifest layout.
    const json& mdesc = index["manifests"][i];
    auto manifest = read_json(blob(oci, mdesc["digest"]));
    for (auto [type, digest] : {std::pair{"manifest", mdesc["digest"].get<std::string>()},
                                std::pair{"config", manifest["config"]["digest"].get<std::string>()}}) {
      r = run_command({"oci-image-tool", "validate", "--type", type, blob(oci, digest).string()});
      EXPECT_EQ(r.exit_code, 0) << type << r.out << r.err;
    }
    fs::path single = single_platform(oci, mdesc, dir / ("single-" + arch));
    r = run_command({"oci-image-tool", "validate", "--type", "image", "--ref", "name=1.4.2", single.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

    // umoci checks every layer's digest and diff_id while unpacking.
    if (::geteuid() == 0) {
      fs::path bundle = dir / ("bundle-" + arch);
      r = run_command({"umoci", "unpack", "--image", single.string() + ":1.4.2", bundle.string()});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      fs::path root = bundle / "rootfs";
      EXPECT_EQ(slurp(root / "usr/bin/xray"), deb_binary(arch, dir)) << arch;
      EXPECT_EQ(slurp(root / "usr/local/bin/xraybake-init"),
                slurp(std::string(XB_BINARY_DIR) + "/supervisor/xraybake-init-" + arch));
      EXPECT_TRUE(fs::exists(root / "usr/local/bin/standin-app")) << "the base's layers are there";
      EXPECT_FALSE(fs::exists(root / "lib/systemd/system/xray.service")) << "nothing but the daemon from the .deb";
      EXPECT_THAT(slurp(root / "etc/amazon/xray/cfg.yaml"), HasSubstr("TotalBufferSizeMB: 24"));
      EXPECT_THAT(slurp(root / "etc/xraybake/init.conf"), HasSubstr("/usr/bin/xray"));
      struct stat st {};
      ASSERT_EQ(::stat((root / "var/log/xray").c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, 10001u);
      EXPECT_EQ(st.st_gid, 10001u);
      ASSERT_EQ(::stat((root / "usr/bin/xray").c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, 0u);
      EXPECT_EQ(st.st_mode & 07777, 0755u);
    }
  }
  // skopeo copy verifies every blob against its digest; --all keeps the index.
  auto r = run_command({"skopeo", "copy", "--all", ref, "oci:" + (dir / "copy").string() + ":x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(dir / "copy/index.json")["manifests"][0]["digest"],
            read_json(oci / "index.json")["manifests"][0]["digest"]);
}

class OciBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(fixtures::deb("amd64"))) << "fixtures not built";
  }
  void require_tools() {
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    XB_REQUIRE_TOOL("umoci", "umoci");
    XB_REQUIRE_TOOL("oci-image-tool", "oci-image-tool");
    XB_REQUIRE_TOOL("dpkg-deb", "dpkg");
    XB_REQUIRE_ROOT("umoci unpack");
  }
  TempDir dir;
};

TEST_F(OciBuild, Amd64Alone) {
  require_tools();
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  auto r = build(dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  check_outputs(dir / "out", {"amd64"});
  check_with_tools(dir.path(), dir / "out", {"amd64"});
}

// service.compression: zstd: the same image with tar+zstd layers (the same
// tars inside), copied by skopeo (which checks every blob's digest) and run
// by a runtime that reads zstd: podman, through skopeo's containers-storage.
// (Debian 12's umoci 0.4.7 and oci-image-tool 1.0 know no tar+zstd: docs/docker.md.)
TEST_F(OciBuild, ZstdLayersHoldTheSameTarsAndAreCopiedBySkopeoAndRunByPodman) {
  require_tools();
  XB_REQUIRE_TOOL("podman", "podman");
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64", "  compression: zstd\n"));
  auto r = build(dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  check_outputs(dir / "out", {"amd64"}, ".tar.zst");
  EXPECT_THAT(slurp(dir / "xraybake.lock"), HasSubstr("daemon-layer/2+zstd"));

  fs::create_directories(dir / "gz");
  spit(dir / "gz/xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  ASSERT_EQ(build(dir / "gz").exit_code, 0);
  auto manifest_of = [](const fs::path& oci) {
    auto index = read_json(blob(oci, read_json(oci / "index.json")["manifests"][0]["digest"]));
    return read_json(blob(oci, index["manifests"][0]["digest"]));
  };
  auto zs = manifest_of(dir / "out/oci"), gz = manifest_of(dir / "gz/out/oci");
  ASSERT_EQ(zs["layers"].size(), gz["layers"].size());
  const size_t added = 3, base = zs["layers"].size() - added;
  for (size_t i = 0; i < zs["layers"].size(); ++i) {
    EXPECT_EQ(zs["layers"][i]["mediaType"], i < base ? gz["layers"][i]["mediaType"]
                                                     : json("application/vnd.oci.image.layer.v1.tar+zstd"));
    if (i >= base) {
      EXPECT_NE(zs["layers"][i]["digest"], gz["layers"][i]["digest"]);
    }
  }
  // The same tars inside: the same diff_ids.
  EXPECT_EQ(read_json(blob(dir / "out/oci", zs["config"]["digest"]))["rootfs"],
            read_json(blob(dir / "gz/out/oci", gz["config"]["digest"]))["rootfs"]);

  // podman's storage gets the image from skopeo (every blob checked against
  // its digest, the zstd layers decompressed), then runs the supervisor, the
  // daemon and the app from them.
  const std::string storage = "[vfs@" + (dir / "storage").string() + "+" + (dir / "run").string() + "]";
  auto copy = run_command({"skopeo", "copy", "oci:" + (dir / "out/oci").string() + ":1.4.2",
                           "containers-storage:" + storage + "zstd-check:1"});
  ASSERT_EQ(copy.exit_code, 0) << copy.out << copy.err;
  auto run = run_command({"podman", "--root", (dir / "storage").string(), "--runroot", (dir / "run").string(),
                          "--storage-driver", "vfs", "run", "--rm", "--network", "none",
                          // podman's default RLIMIT_NOFILE and RLIMIT_NPROC exceed this sandbox's hard limits
                          "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
                          "zstd-check:1",
                          "/usr/local/bin/standin-app", "--rate", "0", "--crash-after", "5", "--crash-code", "7"});
  EXPECT_EQ(run.exit_code, 7) << run.out << run.err;  // the app's status, through xraybake-init
  EXPECT_THAT(run.err, HasSubstr("/usr/bin/xray")) << "the daemon, from its zstd layer, was started";
}

TEST_F(OciBuild, Amd64AndArm64Index) {
  require_tools();
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_multi_oci(), "linux/amd64, linux/arm64"));
  auto r = build(dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  check_outputs(dir / "out", {"amd64", "arm64"});
  check_with_tools(dir.path(), dir / "out", {"amd64", "arm64"});
}

TEST_F(OciBuild, TwoBuildsAreIdenticalAndSourceDateEpochCounts) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_multi_oci(), "linux/amd64, linux/arm64"));
  ASSERT_EQ(build(dir.path(), "a").exit_code, 0);
  fs::remove_all(dir / "cache");  // fetched again: the same bytes anyway
  ASSERT_EQ(build(dir.path(), "b").exit_code, 0);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "a")) {
    if (!e.is_regular_file()) continue;
    ++files;
    auto rel = fs::relative(e.path(), dir / "a");
    EXPECT_EQ(slurp(e.path()), slurp(dir / "b" / rel)) << rel;
  }
  EXPECT_GT(files, 20u);
  ASSERT_EQ(build(dir.path(), "c", mirror(), "1800000000").exit_code, 0);
  EXPECT_NE(slurp(dir / "a/oci/index.json"), slurp(dir / "c/oci/index.json"));
  EXPECT_NE(slurp(dir / "a/layers/xray-daemon-amd64.tar.gz"), slurp(dir / "c/layers/xray-daemon-amd64.tar.gz"));
}

// Regression: a daemon layer planted in the (shared) cache under its key,
// with a .json that matches it, was used by `build --locked` without opening
// the pinned .deb. Now only the layer xraybake.lock records is taken.
TEST_F(OciBuild, PlantedDaemonLayerIsNotUsedUnderLocked) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  ASSERT_EQ(build(dir.path(), "a").exit_code, 0);
  const json lock = read_json(dir / "xraybake.lock");
  const std::string honest = slurp(dir / "a/layers/xray-daemon-amd64.tar.gz");
  ASSERT_EQ(lock["daemon"]["amd64"]["layer"]["digest"], "sha256:" + sha256_hex(honest));
  EXPECT_EQ(lock["daemon"]["amd64"]["version"], "3.6.6");
  const std::string lock_text = slurp(dir / "xraybake.lock");

  // A co-tenant swaps every cached layer for its own, with matching metadata.
  const std::string evil = slurp(dir / "a/layers/xraybake-init-amd64.tar.gz");  // a valid layer, the wrong one
  int planted = 0;
  for (const auto& e : fs::directory_iterator(dir / "cache/layers")) {
    if (e.path().extension() != ".json") continue;
    json meta = read_json(e.path());
    meta["digest"] = "sha256:" + sha256_hex(evil);
    meta["size"] = evil.size();
    fs::path layer = e.path();
    layer.replace_extension(".tar.gz");
    fs::remove(layer);
    spit(layer, evil);
    fs::remove(e.path());
    spit(e.path(), meta.dump());
    ++planted;
  }
  ASSERT_EQ(planted, 1);
  auto r = run_command({XB_XRAYBAKE_BIN, "--locked", "build", "-o", "b", "--cache-dir", (dir / "cache").string()},
                       {{"XRAYBAKE_DAEMON_URL", mirror()}, {"SOURCE_DATE_EPOCH", "1700000000"}}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(dir / "b/layers/xray-daemon-amd64.tar.gz"), honest);
  EXPECT_EQ(slurp(dir / "xraybake.lock"), lock_text);  // --locked: not rewritten
}

TEST_F(OciBuild, DaemonAndSupervisorLayersAreSharedAcrossServices) {
  spit(dir / "a/xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  std::string other = descriptor(fixtures::base_oci(), "linux/amd64", "  user: \"2000:2000\"\n");
  other.replace(other.find("orders-api"), 10, "billing");
  spit(dir / "b/xraybake.yaml", other);
  ASSERT_EQ(build(dir / "a").exit_code, 0);
  ASSERT_EQ(build(dir / "b").exit_code, 0);
  for (auto f : {"xray-daemon-amd64.tar.gz", "xraybake-init-amd64.tar.gz"})
    EXPECT_EQ(slurp(dir / "a/out/layers" / f), slurp(dir / "b/out/layers" / f)) << f;
  EXPECT_NE(slurp(dir / "a/out/layers/service.tar.gz"), slurp(dir / "b/out/layers/service.tar.gz"));
}

TEST_F(OciBuild, JsonSummaryNamesTheIndexAndEachManifest) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_multi_oci(), "linux/amd64, linux/arm64"));
  auto r = run_command({XB_XRAYBAKE_BIN, "--json", "build", "--cache-dir", (dir / "cache").string()},
                       {{"XRAYBAKE_DAEMON_URL", mirror()}, {"SOURCE_DATE_EPOCH", ""}}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  auto report = read_json(dir / "out/build.json");
  EXPECT_EQ(j["image"]["index"]["digest"], report["oci"]["index"]["digest"]);
  EXPECT_EQ(j["image"]["index"]["digest"], read_json(dir / "out/oci/index.json")["manifests"][0]["digest"]);
  ASSERT_EQ(j["image"]["platforms"].size(), 2u);
  EXPECT_EQ(j["image"]["platforms"][1]["platform"], "linux/arm64");
  EXPECT_EQ(report["created"], "1970-01-01T00:00:00Z") << "no SOURCE_DATE_EPOCH: the epoch";
}

TEST_F(OciBuild, TextSummarySaysWhereTheImageIsAndItsDigest) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_multi_oci(), "linux/amd64, linux/arm64"));
  auto r = build(dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string digest = read_json(dir / "out/oci/index.json")["manifests"][0]["digest"];
  EXPECT_THAT(r.err, HasSubstr("built orders-api (linux/amd64, linux/arm64) in "));
  EXPECT_THAT(r.err, HasSubstr("image  out/oci  " + digest));
  EXPECT_THAT(r.err, HasSubstr("files  .dockerignore Dockerfile build.json cfg.yaml docker-entrypoint.sh ecs-register-task-definition.json ecs-task-definition.json "
                               "layers/ oci/ provenance.json sbom/"));
}

TEST_F(OciBuild, BaseWithoutAPlatformIsExit2NamingWhatItHas) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64, linux/arm64"));
  auto r = build(dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("has no linux/arm64 image; it has linux/amd64"));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(OciBuild, Arm64PackageForAmd64IsExit2) {
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  auto r = build(dir.path(), "out", mirror("aws-xray-daemon-linux-arm64-{version}.deb"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("is a package for arm64"));
  EXPECT_THAT(r.err, HasSubstr("but the platform is linux/amd64"));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(OciBuild, HostilePackageIsExit2NamingTheEntry) {
  XB_REQUIRE_TOOL("python3", "python3");
  XB_REQUIRE_TOOL("ar", "binutils");
  // data.tar.gz with a path that climbs out, packed as a .deb with ar.
  fs::path pkg = dir / "pkg";
  fs::create_directories(pkg);
  spit(pkg / "make.py",
       "import io, tarfile, sys\n"
       "def tar(path, entries):\n"
       "    with tarfile.open(path, 'w:gz') as t:\n"
       "        for name, data in entries:\n"
       "            i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o755\n"
       "            t.addfile(i, io.BytesIO(data))\n"
       "elf = open(sys.argv[1], 'rb').read()\n"
       "tar('control.tar.gz', [('./control', b'Package: xray\\nVersion: 3.6.6\\nArchitecture: amd64\\n')])\n"
       "tar('data.tar.gz', [('./usr/bin/xray', elf), ('./usr/../../etc/cron.d/evil', b'* * * * * root sh\\n')])\n"
       "open('debian-binary', 'w').write('2.0\\n')\n");
  auto r = run_command({"python3", "make.py", fixtures::standin_daemon("amd64")}, {}, pkg.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command({"ar", "rc", "evil.deb", "debian-binary", "control.tar.gz", "data.tar.gz"}, {}, pkg.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64"));
  r = build(dir.path(), "out", "file://" + (pkg / "evil.deb").string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("file://" + (pkg / "evil.deb").string() +
                               ": data.tar.gz: './usr/../../etc/cron.d/evil': path traversal"));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

// service.files: the app as layers/app.tar.gz, the last layer of every
// platform, root-owned with normal modes, the excluded files absent.
const std::string kAppFiles =
    "  files:\n"
    "    - {from: publish/, to: /app}\n"
    "    - {from: settings.json, to: /etc/orders/settings.json, mode: \"0444\"}\n"
    "  exclude: [\"**/*.pdb\", publish/.git/]\n";

void make_app(const fs::path& dir) {
  spit(dir / "publish/App.dll", "the app");
  spit(dir / "publish/App.pdb", "symbols");
  spit(dir / "publish/bin/run", "#!/bin/sh\n");
  fs::permissions(dir / "publish/bin/run", fs::perms(0700));
  spit(dir / "publish/wwwroot/site.css", "body{}");
  fs::permissions(dir / "publish/wwwroot/site.css", fs::perms(0600));
  spit(dir / "publish/.git/HEAD", "ref: main");
  spit(dir / "settings.json", "{}");
}

TEST_F(OciBuild, AppFilesAreTheLastLayerOfEveryPlatform) {
  require_tools();
  make_app(dir.path());
  spit(dir / "xraybake.yaml", descriptor(fixtures::base_multi_oci(), "linux/amd64, linux/arm64", kAppFiles));
  auto r = build(dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path out = dir / "out";
  auto report = read_json(out / "build.json");
  ASSERT_TRUE(report["layers"].contains("layers/app.tar.gz")) << report.dump(2);
  const json app = report["layers"]["layers/app.tar.gz"];
  EXPECT_EQ("sha256:" + sha256_hex(slurp(out / "layers/app.tar.gz")), app["digest"]);
  EXPECT_THAT(slurp(out / "Dockerfile"), HasSubstr("\nADD layers/service.tar.gz /\n# service.files: the app, as the "
                                                   "same tarball OUT/oci has (root-owned, modes as built), extracted "
                                                   "by ADD.\nADD layers/app.tar.gz /\n"));
  for (const auto& p : report["platforms"]) {
    EXPECT_EQ(p["added_layers"].back(), "layers/app.tar.gz");
    EXPECT_EQ(p["layers"].back()["digest"], app["digest"]);
    auto config = read_json(blob(out / "oci", p["config"]["digest"]));
    EXPECT_EQ(config["rootfs"]["diff_ids"].back(), app["diff_id"]);
    EXPECT_THAT(config["history"].back()["created_by"].get<std::string>(), HasSubstr("(service.files)"));
  }
  // What a runtime sees, unpacked by umoci (which checks the digests and diff_ids).
  auto index = read_json(blob(out / "oci", read_json(out / "oci/index.json")["manifests"][0]["digest"]));
  fs::path single = single_platform(out / "oci", index["manifests"][1], dir / "single");
  r = run_command({"umoci", "unpack", "--image", single.string() + ":1.4.2", (dir / "bundle").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::path root = dir / "bundle/rootfs";
  EXPECT_EQ(slurp(root / "app/App.dll"), "the app");
  EXPECT_EQ(slurp(root / "etc/orders/settings.json"), "{}");
  EXPECT_FALSE(fs::exists(root / "app/App.pdb"));
  EXPECT_FALSE(fs::exists(root / "app/.git"));
  EXPECT_TRUE(fs::exists(root / "usr/local/bin/standin-app")) << "the base's layers are under it";
  const std::pair<const char*, unsigned> modes[] = {{"app", 0755},          {"app/App.dll", 0644},
                                                    {"app/bin", 0755},      {"app/bin/run", 0755},
                                                    {"app/wwwroot/site.css", 0644}, {"etc/orders", 0755},
                                                    {"etc/orders/settings.json", 0444}};
  for (const auto& [path, mode] : modes) {
    struct stat st {};
    ASSERT_EQ(::lstat((root / path).c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_uid, 0u) << path;
    EXPECT_EQ(st.st_gid, 0u) << path;
    EXPECT_EQ(st.st_mode & 07777, mode) << path;
  }
}

TEST_F(OciBuild, AppLayerIsTheSameFromACopyWithOtherTimes) {
  make_app(dir / "a");
  spit(dir / "a/xraybake.yaml", descriptor(fixtures::base_oci(), "linux/amd64", kAppFiles));
  ASSERT_EQ(build(dir / "a").exit_code, 0);
  ASSERT_EQ(build(dir / "a", "again").exit_code, 0);
  EXPECT_EQ(slurp(dir / "a/out/layers/app.tar.gz"), slurp(dir / "a/again/layers/app.tar.gz"));
  fs::copy(dir / "a", dir / "b", fs::copy_options::recursive);
  fs::remove_all(dir / "b/out");
  fs::remove_all(dir / "b/again");
  for (const auto& e : fs::recursive_directory_iterator(dir / "b"))
    fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(24 * 400));
  ASSERT_EQ(build(dir / "b").exit_code, 0);
  EXPECT_EQ(slurp(dir / "a/out/layers/app.tar.gz"), slurp(dir / "b/out/layers/app.tar.gz"));
  EXPECT_EQ(slurp(dir / "a/out/oci/index.json"), slurp(dir / "b/out/oci/index.json"));
}

TEST_F(OciBuild, AppFileOutsideTheDescriptorsDirectoryIsExit2WithNothingWritten) {
  spit(dir / "secret.txt", "secret");
  make_app(dir / "svc");
  fs::create_symlink("../secret.txt", dir / "svc/link.txt");
  spit(dir / "svc/xraybake.yaml",
       descriptor(fixtures::base_oci(), "linux/amd64",
                  "  files:\n    - {from: ../secret.txt, to: /app/a}\n    - {from: link.txt, to: /app/b}\n"));
  auto r = build(dir / "svc");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:12:14: service.files[0].from: \"../secret.txt\" must not contain \"..\""));
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:13:14: service.files[1].from: \"link.txt\" leads out of the descriptor's "
                               "directory"));
  EXPECT_FALSE(fs::exists(dir / "svc/out"));
  // A path xraybake's own layers hold is refused while the layer is made: exit 2, still nothing in OUT.
  spit(dir / "svc/xraybake.yaml",
       descriptor(fixtures::base_oci(), "linux/amd64", "  files: [{from: settings.json, to: /usr/bin/xray}]\n"));
  r = build(dir / "svc");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:11:11: service.files[0] (from settings.json): /usr/bin/xray would "
                               "replace /usr/bin/xray"));
  EXPECT_FALSE(fs::exists(dir / "svc/out"));
  for (const auto& e : fs::directory_iterator(dir / "svc"))
    EXPECT_EQ(e.path().filename().string().find(".out."), std::string::npos) << e.path();
}

}  // namespace
}  // namespace xb::test
