#include "descriptor/schema.h"

#include "util/embedded.h"

namespace xb {

const std::string& descriptor_schema() {
  static const std::string text(embedded_file("templates/xraybake.schema.json").value_or("{}"));
  return text;
}

}  // namespace xb
