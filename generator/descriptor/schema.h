// The JSON Schema of the descriptor (templates/xraybake.schema.json, embedded):
// what `xraybake schema` prints and the `# yaml-language-server: $schema=`
// comment of `xraybake init` points editors at. It says what the parser's
// key lists say (schema_test.cpp holds them together); validate checks more.
#pragma once

#include <string>

namespace xb {

const std::string& descriptor_schema();

}  // namespace xb
