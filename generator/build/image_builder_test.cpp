// build_image end to end on the library level, checked with real tools
// (skopeo, umoci, oci-image-tool) where they are installed.
#include "build/image_builder.h"
#include "build/layer_cache.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "deb/testing_deb.h"
#include "oci/base_image.h"
#include "oci/layout.h"
#include "oci/testing_layout.h"
#include "support/require.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

using namespace xb;
using namespace xb::build;
using namespace xb::oci;
using ::testing::HasSubstr;
namespace t = xb::oci::testing;

namespace {

class ImageBuilderTest : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("xb-image-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  // A daemon binary that differs per arch, and its .deb.
  std::string binary(const std::string& arch) { return deb::testing::fake_elf(arch, 100000, arch[1]); }
  DebInput deb(const std::string& arch) {
    auto path = dir / ("aws-xray-daemon-linux-" + arch + "-3.6.6.deb");
    // Made once per test: libarchive's gzip header carries the current time.
    if (!fs::exists(path)) write_file_atomic(path, deb::testing::make_deb(arch, binary(arch)));
    std::string bytes = read_file(path);
    return {arch, "https://example.invalid/aws-xray-daemon-linux-" + arch + "-3.6.6.deb", sha256_hex(bytes),
            bytes.size(), path, "", std::nullopt, std::nullopt, {}};
  }

  ImageRequest request(const std::string& out, std::vector<std::string> arches, const t::BaseSpec& base = {},
                       const std::string& service = "orders-api") {
    fs::path base_dir = dir / "base";
    if (!fs::exists(base_dir / "index.json")) t::make_base(base_dir, base);
    ImageRequest r;
    r.out_dir = dir / out;
    fs::create_directories(r.out_dir);
    r.base_layout = base_dir;
    r.base_tag = base.tag;
    r.base_name = "oci:base:" + base.tag;
    r.image_name = service + ":1.4.2";
    r.title = service;
    r.agent = {"xray-daemon", "xray", "usr/bin/xray", "/usr/bin/xray", "check xray.url", {}};
    for (const auto& a : arches) {
      r.platforms.push_back("linux/" + a);
      r.debs.push_back(deb(a));
    }
    LayerEntry cfg;
    cfg.path = "/etc/amazon/xray/cfg.yaml";
    cfg.data = "Version: 2\nTotalBufferSizeMB: 16\n# " + service + "\n";
    LayerEntry log;
    log.path = "/var/log/xray";
    log.type = LayerEntry::Type::directory;
    log.uid = 10001;
    log.gid = 10001;
    r.service_files = {cfg, log};
    r.config.entrypoint = {"/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--"};
    r.config.user = "10001:10001";
    r.config.env = {{"AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000"}, {"BASE", "2"}};
    r.config.ports = {"5000/tcp"};
    r.config.labels = {{"team", "payments"}};
    r.epoch = 1700000000;
    return r;
  }

  nlohmann::json json_file(const fs::path& p) { return nlohmann::json::parse(read_file(p)); }
  nlohmann::json blob(const fs::path& layout, const std::string& digest) {
    return json_file(blob_path(layout, digest));
  }
};

}  // namespace

TEST_F(ImageBuilderTest, SinglePlatformLayoutAndConfig) {
  auto req = request("out", {"amd64"});
  auto res = build_image(req);
  fs::path oci = req.out_dir / "oci";
  EXPECT_EQ(json_file(oci / "oci-layout")["imageLayoutVersion"], "1.0.0");
  auto index = json_file(oci / "index.json");
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.4.2");
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"], "orders-api:1.4.2");
  EXPECT_EQ(index["manifests"][0]["digest"], res.index.digest);

  auto image_index = blob(oci, res.index.digest);
  ASSERT_EQ(image_index["manifests"].size(), 1u);
  EXPECT_EQ(image_index["manifests"][0]["platform"]["architecture"], "amd64");
  auto manifest = blob(oci, image_index["manifests"][0]["digest"]);
  ASSERT_EQ(manifest["layers"].size(), 4u);  // base + daemon + init + service
  auto config = blob(oci, manifest["config"]["digest"]);
  auto c = config["config"];
  EXPECT_EQ(c["Entrypoint"], nlohmann::json({"/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--"}));
  EXPECT_EQ(c["Cmd"], nlohmann::json({"/app/run", "--serve"}));  // the base's Entrypoint + Cmd
  EXPECT_EQ(c["User"], "10001:10001");
  EXPECT_EQ(c["WorkingDir"], "/app");
  EXPECT_THAT(c["Env"].get<std::vector<std::string>>(),
              ::testing::ElementsAre(HasSubstr("PATH="), "BASE=2", "AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"));
  EXPECT_TRUE(c["ExposedPorts"].contains("5000/tcp"));
  EXPECT_EQ(c["Labels"]["base.label"], "kept");
  EXPECT_EQ(c["Labels"]["team"], "payments");
  EXPECT_EQ(c["Labels"]["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(c["Labels"]["org.opencontainers.image.title"], "orders-api");
  EXPECT_EQ(c["Labels"]["org.opencontainers.image.version"], "1.4.2");
  EXPECT_EQ(c["Labels"]["io.xraybake.xray-daemon.version"], "3.6.6");
  EXPECT_EQ(c["Labels"]["io.xraybake.xray-daemon.deb.sha256"], req.debs[0].sha256);
  EXPECT_EQ(config["created"], "2023-11-14T22:13:20Z");
  ASSERT_EQ(config["rootfs"]["diff_ids"].size(), 4u);
  ASSERT_EQ(config["history"].size(), 4u);
  EXPECT_EQ(config["history"][3]["created"], "2023-11-14T22:13:20Z");

  // OUT/layers are the very blobs of the layout.
  for (size_t i = 0; i < 3; ++i) {
    std::string file = res.platforms[0].added[i];
    std::string digest = manifest["layers"][i + 1]["digest"];
    EXPECT_EQ(read_file(req.out_dir / file), read_file(blob_path(oci, digest))) << file;
    for (const auto& l : res.layers)
      if (l.file == file) {
        EXPECT_EQ(config["rootfs"]["diff_ids"][i + 1], l.blob.diff_id) << file;
        EXPECT_EQ(digest, l.blob.digest) << file;
      }
  }
  EXPECT_TRUE(fs::exists(req.out_dir / "layers/xray-daemon-amd64.tar.gz"));
  EXPECT_TRUE(fs::exists(req.out_dir / "layers/xraybake-init-amd64.tar.gz"));
  EXPECT_TRUE(fs::exists(req.out_dir / "layers/service.tar.gz"));
  EXPECT_FALSE(fs::exists(req.out_dir / "layers/xray-daemon-amd64.tar.gz.partial"));

  auto report = build_report(req, res);
  EXPECT_EQ(report["oci"]["index"]["digest"], res.index.digest);
  EXPECT_EQ(report["platforms"][0]["daemon"]["sha256"], req.debs[0].sha256);
  EXPECT_EQ(report["platforms"][0]["daemon"]["url"], req.debs[0].url);
  EXPECT_EQ(report["layers"]["layers/service.tar.gz"]["digest"], res.layers.back().blob.digest);
}

TEST_F(ImageBuilderTest, TwoBuildsGiveIdenticalBytes) {
  auto a = build_image(request("a", {"amd64", "arm64"}, {{"amd64", "arm64"}}));
  auto b = build_image(request("b", {"amd64", "arm64"}, {{"amd64", "arm64"}}));
  EXPECT_EQ(a.index.digest, b.index.digest);
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir / "a"))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir / "a").string());
  EXPECT_GE(files.size(), 15u);
  for (const auto& f : files) EXPECT_EQ(read_file(dir / "a" / f), read_file(dir / "b" / f)) << f;

  // SOURCE_DATE_EPOCH (the request's epoch) changes them.
  auto req = request("c", {"amd64", "arm64"}, {{"amd64", "arm64"}});
  req.epoch = 1;
  auto c = build_image(req);
  EXPECT_NE(c.index.digest, a.index.digest);
  EXPECT_NE(c.layers[0].blob.digest, a.layers[0].blob.digest);
}

TEST_F(ImageBuilderTest, DaemonAndSupervisorLayersAreSharedAcrossServices) {
  auto a = build_image(request("a", {"amd64"}, {}, "orders-api"));
  auto b = build_image(request("b", {"amd64"}, {}, "billing"));
  ASSERT_EQ(a.layers.size(), 3u);
  EXPECT_EQ(a.layers[0].file, "layers/xray-daemon-amd64.tar.gz");
  EXPECT_EQ(a.layers[0].blob.digest, b.layers[0].blob.digest);
  EXPECT_EQ(a.layers[1].file, "layers/xraybake-init-amd64.tar.gz");
  EXPECT_EQ(a.layers[1].blob.digest, b.layers[1].blob.digest);
  EXPECT_EQ(a.layers[2].file, "layers/service.tar.gz");
  EXPECT_NE(a.layers[2].blob.digest, b.layers[2].blob.digest);
}

TEST_F(ImageBuilderTest, WarmBuildTakesTheDaemonLayerFromTheCache) {
  auto cold_req = request("cold", {"amd64"});
  cold_req.layer_cache = dir / "cache";
  auto cold = build_image(cold_req);
  // The .deb is gone: only the cache can give the layer now, byte for byte.
  // Without the layer xraybake.lock records, a cached layer is never used
  // (regression: a layer planted under the key was taken as it was).
  auto untrusted = request("untrusted", {"amd64"});
  untrusted.layer_cache = dir / "cache";
  untrusted.debs[0].version = "3.6.6";
  const std::string deb_path = untrusted.debs[0].path.string();
  fs::rename(deb_path, deb_path + ".away");
  EXPECT_THROW(build_image(untrusted), Error);  // it had to read the .deb
  fs::rename(deb_path + ".away", deb_path);
  auto warm_req = request("warm", {"amd64"});
  warm_req.layer_cache = dir / "cache";
  warm_req.debs[0].version = "3.6.6";
  warm_req.debs[0].layer = daemon_layer_pin(cold.layers[0].blob, cold_req.epoch);
  fs::remove(warm_req.debs[0].path);
  auto warm = build_image(warm_req);
  EXPECT_EQ(warm.index.digest, cold.index.digest);
  EXPECT_EQ(warm.platforms[0].daemon_version, "3.6.6");
  EXPECT_EQ(read_file(dir / "warm" / warm.layers[0].file), read_file(dir / "cold" / cold.layers[0].file));
  // Another SOURCE_DATE_EPOCH is another layer: not taken from the cache.
  auto other = request("other", {"amd64"});
  other.layer_cache = dir / "cache";
  other.epoch = 1;
  other.debs[0].sha256 = cold_req.debs[0].sha256;
  other.debs[0].version = "3.6.6";
  other.debs[0].layer = warm_req.debs[0].layer;
  fs::remove(other.debs[0].path);
  EXPECT_THROW(build_image(other), Error);
}

TEST_F(ImageBuilderTest, BaseLackingAPlatformNamesWhatItHas) {
  auto req = request("out", {"amd64", "arm64"});
  try {
    build_image(req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), HasSubstr("has no linux/arm64 image; it has linux/amd64"));
  }
  // An index base too.
  fs::remove_all(dir / "base");
  t::make_base(dir / "base", {{"arm64"}, true});
  try {
    build_image(request("out2", {"amd64"}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no linux/amd64 image; it has linux/arm64/v8"));
  }
}

TEST_F(ImageBuilderTest, MissingTagNamesTheTagsThereAre) {
  t::BaseSpec spec;
  spec.tag = "v1";
  t::make_base(dir / "base", spec);
  auto req = request("out", {"amd64"}, spec);
  req.base_tag = "v2";
  try {
    build_image(req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), HasSubstr("no image tagged 'v2' (it has: v1)"));
  }
}

TEST_F(ImageBuilderTest, DockerMediaTypesInTheBase) {
  t::BaseSpec spec;
  spec.arches = {"amd64", "arm64"};
  spec.docker = true;
  auto req = request("out", {"arm64"}, spec);
  auto res = build_image(req);
  auto manifest = blob(req.out_dir / "oci", res.platforms[0].manifest.digest);
  EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  auto config = blob(req.out_dir / "oci", manifest["config"]["digest"]);
  EXPECT_EQ(config["architecture"], "arm64");
}

TEST_F(ImageBuilderTest, WrongArchitecturePackageIsBadInput) {
  auto req = request("out", {"amd64"});
  req.debs[0] = deb("arm64");
  req.debs[0].arch = "amd64";  // the fetcher thought it was amd64
  try {
    build_image(req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), HasSubstr("is a package for arm64"));
  }
}

TEST_F(ImageBuilderTest, DaemonLayerIsStreamedFromTheDeb) {
  // A 300 MiB daemon: peak memory grows far less than that while it goes
  // from the .deb into the layer, and both digests come out of the one pass.
  auto big = deb::testing::daemon_entries(deb::testing::fake_elf("amd64", 64));
  big.back().zeros = 300ull << 20;
  write_file_atomic(dir / "aws-xray-daemon-linux-amd64-3.6.6.deb",
                    deb::testing::make_deb_from("amd64", deb::testing::make_tar(big)));
  auto req = request("out", {"amd64"});
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  auto res = build_image(req);
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "KiB";
  auto layer = req.out_dir / "layers/xray-daemon-amd64.tar.gz";
  EXPECT_EQ(res.layers[0].blob.digest, "sha256:" + sha256_file_hex(layer.string()));
  auto r = t::run("gzip -dc " + layer.string() + " | sha256sum");
  EXPECT_EQ("sha256:" + r.output.substr(0, 64), res.layers[0].blob.diff_id);
}

// --- real tools -------------------------------------------------------------

TEST_F(ImageBuilderTest, SkopeoInspectsAndCopiesEveryPlatform) {
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  auto req = request("out", {"amd64", "arm64"}, {{"amd64", "arm64"}});
  auto res = build_image(req);
  std::string ref = "oci:" + (req.out_dir / "oci").string() + ":1.4.2";
  for (std::string arch : {"amd64", "arm64"}) {
    auto r = t::run("skopeo inspect --override-os linux --override-arch " + arch + " " + ref);
    ASSERT_EQ(r.status, 0) << r.output;
    auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["Architecture"], arch);
    EXPECT_EQ(j["Labels"]["io.xraybake.xray-daemon.version"], "3.6.6");
    EXPECT_EQ(j["Layers"].size(), 4u);
    auto cfg = t::run("skopeo inspect --config --override-arch " + arch + " " + ref);
    ASSERT_EQ(cfg.status, 0) << cfg.output;
    EXPECT_EQ(nlohmann::json::parse(cfg.output)["config"]["User"], "10001:10001");
  }
  // Copying verifies every blob against its digest.
  auto copy = t::run("skopeo copy --all " + ref + " oci:" + (dir / "copy").string() + ":x");
  ASSERT_EQ(copy.status, 0) << copy.output;
  auto index = json_file(dir / "copy" / "index.json");
  EXPECT_EQ(index["manifests"][0]["digest"], res.index.digest) << "copy --all keeps the index byte for byte";
}

TEST_F(ImageBuilderTest, OciImageToolValidates) {
  XB_REQUIRE_TOOL("oci-image-tool", "oci-image-tool");
  auto req = request("out", {"amd64", "arm64"}, {{"amd64", "arm64"}});
  auto res = build_image(req);
  fs::path oci = req.out_dir / "oci";
  auto validate = [](const std::string& type, const fs::path& file, const std::string& extra = "") {
    auto r = t::run("oci-image-tool validate --type " + type + " " + extra + " " + file.string());
    EXPECT_EQ(r.status, 0) << type << " " << file << "\n" << r.output;
  };
  validate("imageIndex", blob_path(oci, res.index.digest));
  for (const auto& p : res.platforms) {
    validate("manifest", blob_path(oci, p.manifest.digest));
    validate("config", blob_path(oci, p.config.digest));
    // This old oci-image-tool reads only manifests from index.json: point a
    // copy of the layout's index.json straight at each platform's manifest.
    fs::path single = dir / ("single-" + p.manifest.digest.substr(7, 12));
    fs::copy(oci, single, fs::copy_options::recursive);
    auto entry = p.manifest.descriptor();
    entry["annotations"] = {{"org.opencontainers.image.ref.name", "1.4.2"}};
    write_file_atomic(single / "index.json", nlohmann::json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump());
    validate("image", single, "--ref name=1.4.2");
  }
}

TEST_F(ImageBuilderTest, UmociUnpacksWithVerifiedDiffIds) {
  XB_REQUIRE_TOOL("umoci", "umoci");
  XB_REQUIRE_ROOT("umoci unpack");
  for (std::string arch : {"amd64", "arm64"}) {
    fs::remove_all(dir / "base");
    auto req = request("out-" + arch, {arch}, {{"amd64", "arm64"}});
    build_image(req);
    std::string layout = (req.out_dir / "oci").string();
    auto bundle = dir / ("bundle-" + arch);
    auto r = t::run("umoci unpack --image " + layout + ":1.4.2 " + bundle.string());
    ASSERT_EQ(r.status, 0) << r.output;
    auto rootfs = bundle / "rootfs";
    EXPECT_EQ(read_file(rootfs / "usr/bin/xray"), binary(arch));
    EXPECT_EQ(read_file(rootfs / "usr/local/bin/xraybake-init"),
              std::string(*embedded_file("supervisor/xraybake-init-" + arch)));
    EXPECT_EQ(read_file(rootfs / ("etc/base-" + arch)), arch + "\n");
    EXPECT_THAT(read_file(rootfs / "etc/amazon/xray/cfg.yaml"), HasSubstr("TotalBufferSizeMB: 16"));
    struct stat st {};
    ASSERT_EQ(::stat((rootfs / "var/log/xray").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 10001u);
    EXPECT_EQ(st.st_gid, 10001u);
    ASSERT_EQ(::stat((rootfs / "usr/bin/xray").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_uid, 0u);
  }
}

// service.compression: zstd: every added layer is tar+zstd (files, media
// types), the tar inside is the gzip build's, and the cache keeps the two apart.
TEST_F(ImageBuilderTest, ZstdLayersHaveTheirMediaTypeAndTheSameTarsAsGzip) {
  auto gz_req = request("gz", {"amd64"});
  gz_req.layer_cache = dir / "cache";
  auto gz = build_image(gz_req);
  auto zs_req = request("zs", {"amd64"});
  zs_req.layer_cache = dir / "cache";
  zs_req.compression = Compression::zstd;
  zs_req.debs[0].version = "3.6.6";
  // The gzip layer's pin, offered to a zstd build: not its format, so not used.
  zs_req.debs[0].layer = daemon_layer_pin(gz.layers[0].blob, gz_req.epoch);
  auto zs = build_image(zs_req);
  ASSERT_EQ(zs.layers.size(), gz.layers.size());
  EXPECT_EQ(zs.layers[0].file, "layers/xray-daemon-amd64.tar.zst");
  EXPECT_EQ(zs.layers[1].file, "layers/xraybake-init-amd64.tar.zst");
  EXPECT_EQ(zs.layers[2].file, "layers/service.tar.zst");
  for (size_t i = 0; i < zs.layers.size(); ++i) {
    EXPECT_EQ(zs.layers[i].blob.diff_id, gz.layers[i].blob.diff_id) << zs.layers[i].file;
    EXPECT_NE(zs.layers[i].blob.digest, gz.layers[i].blob.digest) << zs.layers[i].file;
    EXPECT_EQ("\x28\xb5\x2f\xfd", read_file(dir / "zs" / zs.layers[i].file).substr(0, 4));  // zstd's magic
  }
  auto manifest = blob(dir / "zs" / "oci", zs.platforms[0].manifest.digest);
  const auto& layers = manifest.at("layers");
  const size_t base_layers = layers.size() - zs.layers.size();
  for (size_t i = base_layers; i < layers.size(); ++i)
    EXPECT_EQ(layers[i].at("mediaType"), "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(daemon_layer_pin(zs.layers[0].blob, zs_req.epoch, Compression::zstd).format, "daemon-layer/2+zstd");
  EXPECT_EQ(daemon_layer_pin(gz.layers[0].blob, gz_req.epoch).format, "daemon-layer/2");  // older locks stay warm
  // Built again, the same bytes.
  auto again_req = request("zs2", {"amd64"});
  again_req.compression = Compression::zstd;
  EXPECT_EQ(build_image(again_req).index.digest, zs.index.digest);
}
