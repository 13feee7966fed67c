#include "cli/options.h"

#include <cstdlib>
#include <filesystem>

namespace xb::cli {

std::string descriptor_path(const std::string& arg) {
  std::error_code ec;
  if (arg.ends_with("/") || std::filesystem::is_directory(arg, ec))
    return (std::filesystem::path(arg) / "xraybake.yaml").lexically_normal().string();
  return arg;
}

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/xraybake";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/xraybake";
  return ".xraybake-cache";
}

nlohmann::ordered_json diagnostic_json(const Diagnostic& d) {
  return {{"file", d.file}, {"line", d.line}, {"column", d.column}, {"message", d.message}};
}

std::string error_text(const Error& e, const std::string& context) {
  std::string text;
  for (const auto& d : e.diagnostics()) text += d.str() + "\n";
  if (e.diagnostics().empty()) text += "error: " + (context.empty() ? "" : context + ": ") + e.what() + "\n";
  if (!e.hint().empty()) text += "hint: " + e.hint() + "\n";
  return text;
}

nlohmann::ordered_json error_json(const Error& e) {
  nlohmann::ordered_json diagnostics = nlohmann::ordered_json::array();
  for (const auto& d : e.diagnostics()) diagnostics.push_back(diagnostic_json(d));
  return {{"error",
           {{"message", e.what()},
            {"hint", e.hint()},
            {"exit_code", static_cast<int>(e.code())},
            {"diagnostics", diagnostics}}}};
}

}  // namespace xb::cli
