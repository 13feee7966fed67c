// Image names and references as registries and OCI tools accept them.
#pragma once

#include <string_view>

namespace xb {

// One path component: lowercase letters and digits, separated by ".", "_",
// "__" or runs of "-" (orders-api, app.v2).
bool valid_image_name(std::string_view name);
// [REGISTRY[:PORT]/]NAME[/NAME...] with an optional :TAG; not a tag without
// a name (":1.2") nor a version where the name belongs ("1.2").
bool valid_image_tag_ref(std::string_view ref);
// The same with an optional @sha256:DIGEST as well.
bool valid_image_reference(std::string_view ref);

}  // namespace xb
