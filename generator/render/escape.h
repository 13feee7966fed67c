// Quoting a value for each output format, so that quotes, spaces, `$`,
// backslashes and newlines come out intact.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xb {

// A JSON string literal, quotes included.
std::string json_quote(std::string_view s);
// A JSON array of strings on one line: Dockerfile exec form.
std::string json_array(const std::vector<std::string>& items);
// One POSIX shell word: single-quoted unless it only has safe characters.
std::string shell_quote(std::string_view s);
// A double-quoted Dockerfile ENV/LABEL value: `\`, `"` and `$` escaped.
// (A newline can not be carried; the descriptor refuses those.)
std::string dockerfile_quote(std::string_view s);

// Text for a one-line comment (a file name in a generated header): control
// characters become \xNN, so no value can end the comment and start a line.
std::string comment_text(std::string_view s);

}  // namespace xb
