// Running the real xraybake binary from the CLI tests of init, validate and build.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace xb::test {

inline RunResult xraybake(std::vector<std::string> args, const std::string& cwd = "") {
  args.insert(args.begin(), XB_XRAYBAKE_BIN);
  return run_command(args, {{"XRAYBAKE_DAEMON_URL", ""}}, cwd);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The examples/ descriptors, by directory name.
inline std::vector<std::string> example_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(std::string(XB_SOURCE_DIR) + "/examples"))
    if (std::filesystem::exists(e.path() / "xraybake.yaml")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace xb::test
