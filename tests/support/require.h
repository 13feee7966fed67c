// Tests that need a tool or root skip on a developer's machine that lacks it;
// in CI (CI=true) the same lack is a failure, so nothing is skipped silently.
// Header-only: the supervisor's tests include it without the support library.
//
//   XB_REQUIRE_TOOL("skopeo", "skopeo");        // tool, Debian package
//   XB_REQUIRE_ROOT("umoci unpack");
//   XB_REQUIRE(fs::exists(p), "no base-oci fixture (apt-get install umoci)");
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace xb::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Whether NAME is an executable in PATH, or in /usr/sbin or /sbin (root's
// tools, missing from some users' PATH).
inline bool have_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(std::string(path ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace xb::test

// Unless COND holds: skip the test, or fail it in CI. WHY (streamable) says what
// is missing and how to get it.
#define XB_REQUIRE(cond, why)                                    \
  do {                                                           \
    if (!(cond)) {                                               \
      if (::xb::test::in_ci()) FAIL() << "CI=true but: " << why; \
      GTEST_SKIP() << why;                                       \
    }                                                            \
  } while (0)

// TOOL (a program name) must be installed; PACKAGE is the Debian package with it.
#define XB_REQUIRE_TOOL(tool, package) \
  XB_REQUIRE(::xb::test::have_tool(tool), tool << " is not installed (apt-get install " << package << ")")

// WHAT needs root (e.g. "umoci unpack").
#define XB_REQUIRE_ROOT(what) XB_REQUIRE(::geteuid() == 0, what << " needs root")
