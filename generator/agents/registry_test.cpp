// The checks every kind gets through agents::parse_descriptor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agents/agent.h"
#include "util/error.h"

namespace xb::agents {
namespace {

// fuzz_render found it: a scalar or a list for agent: escaped as YAML::BadSubscript.
TEST(AgentRegistry, AgentSectionThatIsNotAMappingIsBadInputNotACrash) {
  for (std::string section : {"\"kie nd\"", "[adot-collector]", "~", "42"}) {
    try {
      parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: oci:app}\nagent: " + section + "\n", "f.yaml");
      ADD_FAILURE() << section << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input) << section;
      ASSERT_FALSE(e.diagnostics().empty()) << section;
      EXPECT_EQ(e.diagnostics().front().line, 3) << section << ": " << e.diagnostics().front().str();
    } catch (const std::exception& e) {
      ADD_FAILURE() << section << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace xb::agents
