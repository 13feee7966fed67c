#include "oci/layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oci/base_image.h"
#include "support/temp_dir.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

using ::testing::HasSubstr;

// A field of the wrong type in index.json is bad input, never an escaping
// nlohmann::json exception (fuzz_image_json found "mediaType": {} crashing
// read_base_image).
TEST(Layout, AnEntryFieldOfTheWrongTypeIsBadInput) {
  test::TempDir dir;
  write_file(dir / "oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
  write_file(dir / "index.json", R"({"schemaVersion": 2, "manifests": [{"mediaType": {"os": "linux"}}]})");
  for (auto read : {+[](const std::filesystem::path& d) { find_tagged(d, ""); },
                    +[](const std::filesystem::path& d) { read_base_image(d, "", {"linux/amd64"}); }}) {
    try {
      read(dir.path());
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_THAT(e.what(), HasSubstr("mediaType is not a string"));
    }
  }
}

}  // namespace
}  // namespace xb::oci
