#include "supply/provenance.h"

#include <gtest/gtest.h>

namespace xb::supply {
namespace {

ProvenanceInput input() {
  ProvenanceInput in;
  in.image_name = "orders-api:1.4.2";
  in.index_digest = "sha256:" + std::string(64, 'a');
  in.descriptor_path = "services/orders/xraybake.yaml";
  in.descriptor_sha256 = std::string(64, 'd');
  in.base_name = "oci:build/app-oci:latest";
  in.agent_kind = "xray-daemon";
  in.source_date_epoch = 1700000000;
  in.xraybake_version = "0.1.0";
  in.platforms = {{"linux/amd64", "sha256:" + std::string(64, '1'), "sha256:" + std::string(64, '2'),
                   "https://example.invalid/xray-amd64.deb", std::string(64, '3'), "xray", "3.6.6"},
                  {"linux/arm64", "sha256:" + std::string(64, '4'), "sha256:" + std::string(64, '5'),
                   "https://example.invalid/xray-arm64.deb", std::string(64, '6'), "xray", "3.6.6"}};
  return in;
}

TEST(Provenance, StatementNamesTheIndexAndEachPlatformManifest) {
  auto st = provenance_statement(input());
  EXPECT_EQ(st["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  ASSERT_EQ(st["subject"].size(), 3u);
  EXPECT_EQ(st["subject"][0]["name"], "orders-api:1.4.2");
  EXPECT_EQ(st["subject"][0]["digest"]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(st["subject"][2]["name"], "orders-api:1.4.2 linux/arm64");
  EXPECT_EQ(st["subject"][2]["digest"]["sha256"], std::string(64, '4'));
}

TEST(Provenance, BuildDefinitionHasTheDescriptorThePlatformsAndEveryInput) {
  auto st = provenance_statement(input());
  const auto& bd = st["predicate"]["buildDefinition"];
  EXPECT_EQ(bd["buildType"], "https://github.com/xraybake/xraybake/buildtypes/v1");
  EXPECT_EQ(bd["externalParameters"]["descriptor"]["path"], "services/orders/xraybake.yaml");
  EXPECT_EQ(bd["externalParameters"]["descriptor"]["digest"]["sha256"], std::string(64, 'd'));
  EXPECT_EQ(bd["externalParameters"]["platforms"], nlohmann::ordered_json({"linux/amd64", "linux/arm64"}));
  const auto& deps = bd["resolvedDependencies"];
  ASSERT_EQ(deps.size(), 4u);
  EXPECT_EQ(deps[0]["uri"], "https://example.invalid/xray-amd64.deb");
  EXPECT_EQ(deps[0]["digest"]["sha256"], std::string(64, '3'));
  EXPECT_EQ(deps[1]["digest"]["sha256"], std::string(64, '6'));
  EXPECT_EQ(deps[3]["uri"], "oci:build/app-oci:latest");
  EXPECT_EQ(deps[3]["digest"]["sha256"], std::string(64, '5'));
  EXPECT_EQ(deps[3]["annotations"]["platform"], "linux/arm64");
  EXPECT_EQ(st["predicate"]["runDetails"]["builder"]["id"], "https://github.com/xraybake/xraybake@v0.1.0");
  EXPECT_EQ(provenance_statement(input()).dump(), st.dump()) << "deterministic";
  EXPECT_FALSE(st["predicate"]["runDetails"].contains("metadata")) << "nothing of the run: no times, no host";
}

}  // namespace
}  // namespace xb::supply
