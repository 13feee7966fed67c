// URLs with their secrets taken out, for everything a user or another
// program may see: log lines, error messages, labels, history, build.json,
// the cache index. A mirror URL such as
//   https://ci:s3cret@mirror.example/xray.deb?X-Amz-Signature=abc&X-Amz-Expires=300
// is shown as
//   https://mirror.example/xray.deb?X-Amz-Signature=REDACTED&X-Amz-Expires=REDACTED
// The user name and password are dropped, and the value of EVERY query
// parameter is replaced: presigned URLs (S3 X-Amz-*, Azure sig, GCS
// X-Goog-*, token=, access_token=) carry their secrets there under many
// names, and a list of known names would miss the next one. The path and
// the parameter names stay, so the URL still says where it points.
#pragma once

#include <string>
#include <string_view>

namespace xb {

std::string redact_url(std::string_view url);

// TEXT with every secret of URL (password, user, query values) replaced:
// for messages from libraries (curl) that may quote the URL.
std::string redact_text(std::string text, std::string_view url);

}  // namespace xb
