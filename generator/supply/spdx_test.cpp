#include "supply/spdx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/sha256.h"

namespace xb::supply {
namespace {

using ::testing::HasSubstr;

SbomInput input() {
  SbomInput in;
  in.image_name = "123456789012.dkr.ecr.us-east-2.amazonaws.com/orders-api:1.4.2";
  in.platform = "linux/arm64";
  in.manifest_digest = "sha256:" + std::string(64, 'a');
  in.base_name = "public.ecr.aws/docker/library/debian:12";
  in.base_digest = "sha256:" + std::string(64, 'b');
  in.created = "2023-11-14T22:13:20Z";
  in.xraybake_version = "0.1.0";
  in.agent_kind = "adot-collector";
  in.agent = {"aws-otel-collector", "0.49.0-1", "AWS <aws@example.invalid>", "Amazon.com, Inc.", "https://aws-otel.github.io/",
              "ADOT", "Apache-2.0", "https://example.invalid/aws-otel-collector.deb", std::string(64, 'c'), 1234};
  in.layers = {{SbomLayer::Role::agent, "layers/adot-collector-arm64.tar.gz", "sha256:" + std::string(64, 'd'),
                {{"/opt/aws/aws-otel-collector/bin/aws-otel-collector", 10, std::string(64, '1'), std::string(40, '2')}}},
               {SbomLayer::Role::supervisor, "layers/xraybake-init-arm64.tar.gz", "sha256:" + std::string(64, 'e'),
                {{"/usr/local/bin/xraybake-init", 20, std::string(64, '3'), std::string(40, '4')}}},
               {SbomLayer::Role::service, "layers/service.tar.gz", "sha256:" + std::string(64, 'f'),
                {{"/etc/xraybake/init.conf", 30, std::string(64, '5'), std::string(40, '6')}}}};
  return in;
}

nlohmann::ordered_json package(const nlohmann::ordered_json& doc, const std::string& id) {
  for (const auto& p : doc["packages"])
    if (p["SPDXID"] == id) return p;
  ADD_FAILURE() << "no package " << id;
  return {};
}

bool has_relationship(const nlohmann::ordered_json& doc, const std::string& a, const std::string& type,
                      const std::string& b) {
  for (const auto& r : doc["relationships"])
    if (r["spdxElementId"] == a && r["relationshipType"] == type && r["relatedSpdxElement"] == b) return true;
  return false;
}

TEST(Spdx, TheAgentPackageIsWhatItsControlFileSays) {
  auto doc = spdx_document(input());
  auto a = package(doc, "SPDXRef-Package-adot-collector");
  EXPECT_EQ(a["name"], "aws-otel-collector");
  EXPECT_EQ(a["versionInfo"], "0.49.0-1");
  EXPECT_EQ(a["supplier"], "Organization: AWS (aws@example.invalid)");
  EXPECT_EQ(a["originator"], "Organization: Amazon.com, Inc.");
  EXPECT_EQ(a["downloadLocation"], "https://example.invalid/aws-otel-collector.deb");
  EXPECT_EQ(a["packageFileName"], "aws-otel-collector.deb");
  EXPECT_EQ(a["checksums"][0]["algorithm"], "SHA256");
  EXPECT_EQ(a["checksums"][0]["checksumValue"], std::string(64, 'c'));
  EXPECT_EQ(a["licenseDeclared"], "Apache-2.0");
  EXPECT_EQ(a["licenseConcluded"], "Apache-2.0");
}

TEST(Spdx, FilesBelongToThePackageWhoseLayerHoldsThem) {
  auto doc = spdx_document(input());
  ASSERT_EQ(doc["files"].size(), 3u);
  EXPECT_EQ(doc["files"][0]["fileName"], "./opt/aws/aws-otel-collector/bin/aws-otel-collector");
  EXPECT_EQ(doc["files"][0]["checksums"][1]["checksumValue"], std::string(64, '1'));
  EXPECT_THAT(doc["files"][0]["comment"].get<std::string>(), HasSubstr("layers/adot-collector-arm64.tar.gz"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-Package-adot-collector", "CONTAINS", "SPDXRef-File-agent-1"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-Package-xraybake-init", "CONTAINS", "SPDXRef-File-supervisor-1"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-Image", "CONTAINS", "SPDXRef-File-service-1"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-Base"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-Package-xraybake", "BUILD_TOOL_OF", "SPDXRef-Image"));
  EXPECT_TRUE(has_relationship(doc, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
}

TEST(Spdx, TheBaseAndTheImageAreNamedByDigest) {
  auto doc = spdx_document(input());
  EXPECT_EQ(package(doc, "SPDXRef-Base")["externalRefs"][0]["referenceLocator"],
            "pkg:oci/debian@sha256%3A" + std::string(64, 'b') +
                "?arch=arm64&repository_url=public.ecr.aws/docker/library/debian&tag=12");
  EXPECT_EQ(package(doc, "SPDXRef-Image")["externalRefs"][0]["referenceLocator"],
            "pkg:oci/orders-api@sha256%3A" + std::string(64, 'a') +
                "?arch=arm64&repository_url=123456789012.dkr.ecr.us-east-2.amazonaws.com/orders-api&tag=1.4.2");
  EXPECT_EQ(package(doc, "SPDXRef-Image")["versionInfo"], "1.4.2");
}

TEST(Spdx, NamespaceIsDerivedFromTheContentAndCreatedIsGiven) {
  auto doc = spdx_document(input());
  EXPECT_EQ(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
  const std::string ns = doc["documentNamespace"];
  auto blank = doc;
  blank["documentNamespace"] = "";
  EXPECT_EQ(ns, "https://github.com/xraybake/xraybake/spdx/orders-api-arm64-" + sha256_hex(blank.dump()));
  EXPECT_EQ(spdx_document(input()).dump(), doc.dump()) << "deterministic";
  SbomInput other = input();
  other.agent.sha256 = std::string(64, '9');
  EXPECT_NE(spdx_document(other)["documentNamespace"], ns);
}

TEST(Spdx, SupplierFromMaintainer) {
  EXPECT_EQ(spdx_supplier("xraybake tests <tests@xraybake.invalid>"), "Organization: xraybake tests (tests@xraybake.invalid)");
  EXPECT_EQ(spdx_supplier("Amazon Web Services"), "Organization: Amazon Web Services");
  EXPECT_EQ(spdx_supplier(""), "NOASSERTION");
}

TEST(Spdx, LicenseOnlyWhenItIsAnExpressionOfKnownIdentifiers) {
  EXPECT_EQ(spdx_license("Apache-2.0"), "Apache-2.0");
  EXPECT_EQ(spdx_license("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
  EXPECT_EQ(spdx_license(""), "NOASSERTION");
  EXPECT_EQ(spdx_license("Apache License 2.0"), "NOASSERTION");
  EXPECT_EQ(spdx_license("GPL-2+"), "NOASSERTION") << "Debian's short names are not SPDX's";
  EXPECT_EQ(spdx_license("MIT OR"), "NOASSERTION");
  SbomInput in = input();
  in.agent.license = "Amazon Software License";
  auto a = package(spdx_document(in), "SPDXRef-Package-adot-collector");
  EXPECT_EQ(a["licenseDeclared"], "NOASSERTION");
  EXPECT_THAT(a["licenseComments"].get<std::string>(), HasSubstr("Amazon Software License"));
}

TEST(Spdx, LocalLayoutBasePurl) {
  EXPECT_EQ(oci_purl("oci:build/app-oci:latest", "sha256:" + std::string(64, 'b'), "amd64"),
            "pkg:oci/app-oci@sha256%3A" + std::string(64, 'b') + "?arch=amd64&tag=latest");
  EXPECT_EQ(oci_purl("localhost:5000/app", "sha256:" + std::string(64, 'b'), "amd64"),
            "pkg:oci/app@sha256%3A" + std::string(64, 'b') + "?arch=amd64&repository_url=localhost%3A5000/app");
}

}  // namespace
}  // namespace xb::supply
