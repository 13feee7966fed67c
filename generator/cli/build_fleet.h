// xraybake build FILE|DIR... with more than one descriptor: a fleet in one
// invocation. Each service is built by a child process (a fork of this one,
// so a failure, a crash or a leak stays in it, without an exec's dynamic
// linking) into OUT/<service.name>/, -j at once.
// They share the cache: an agent .deb the descriptors pin is downloaded once
// (the cache's download lock; the others find it by its digest; an unpinned
// one is downloaded by each, docs/fleet.md), each agent layer compressed once
// (by the first build of its agent, which the others wait for: the fleet's
// store, build/fleet_store.h), each registry base pulled once. A build ready
// to commit waits for the fleet's one syncfs() for all that are (group
// commit). Every service is attempted; the exit status is the worst of theirs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/options.h"
#include "descriptor/descriptor.h"

namespace xb::cli {

struct FleetRequest {
  std::vector<std::string> files;        // descriptors, DIR already made DIR/xraybake.yaml
  std::string out;                       // OUT: each service into OUT/<service.name>/
  unsigned jobs = 0;                     // builds at once; 0: one per CPU
  // What each child runs (in the fork, its stdout and stderr the fleet's
  // pipes): the build of FILE into OUT as `xraybake --json build FILE -o OUT`
  // would, its --json document on stdout; returns its exit status. DESC is
  // FILE as the fleet loaded it (the fork has it: no build reads its
  // descriptor twice).
  std::function<int(const Descriptor& desc, const std::string& file, const std::string& out)> build;
  // Called once with every descriptor that loaded, before the first fork:
  // what all the builds then inherit (the registry sessions, cli/cmd_build.cpp).
  std::function<void(const std::vector<Descriptor>&)> before_builds;
};

// Builds every service; prints one line per service as it ends (a table at the
// end on a terminal), with --json one array in the order of FILES. Throws
// Reported with the worst exit status when any failed, Error before building
// anything when the request itself is wrong (two descriptors naming one service,
// OUT a single build's output).
void run_fleet(const FleetRequest& request, const GlobalOptions& global);

}  // namespace xb::cli
