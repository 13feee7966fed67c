// The schema names exactly the keys the parser takes, section by section, so
// an editor never offers a key validate refuses nor misses one it takes.
#include "descriptor/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "descriptor/descriptor.h"
#include "descriptor/sections.h"

namespace xb {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> properties(const nlohmann::json& node) {
  std::vector<std::string> out;
  for (const auto& [k, v] : node.at("properties").items()) out.push_back(k);
  EXPECT_EQ(node.value("additionalProperties", true), false) << "unknown keys are errors: " << node.dump().substr(0, 80);
  return sorted(out);
}

TEST(DescriptorSchema, NamesTheKeysTheParserTakes) {
  auto s = nlohmann::json::parse(descriptor_schema());
  EXPECT_EQ(s.at("$schema"), "http://json-schema.org/draft-07/schema#");
  const auto& p = s.at("properties");
  EXPECT_EQ(properties(s), sorted(kTopKeys));
  EXPECT_EQ(properties(p.at("service")), sorted(kServiceKeys));
  EXPECT_EQ(properties(p.at("service").at("properties").at("files").at("items")), sorted(kFileKeys));
  EXPECT_EQ(properties(p.at("xray")), sorted(kXrayKeys));
  EXPECT_EQ(properties(p.at("agent")), sorted(kAgentKeys));
  EXPECT_EQ(properties(p.at("agent").at("properties").at("receivers")), sorted(kReceiverKeys));
  EXPECT_EQ(properties(p.at("ecs")), sorted(kEcsKeys));
  EXPECT_EQ(properties(p.at("ecs").at("properties").at("logs")), sorted(kEcsLogsKeys));
  EXPECT_EQ(properties(p.at("ecs").at("properties").at("health_check")), sorted(kEcsHealthKeys));
  std::vector<std::string> kinds = p.at("agent").at("properties").at("kind").at("enum");
  EXPECT_EQ(kinds, kAgentKinds);
}

}  // namespace
}  // namespace xb
