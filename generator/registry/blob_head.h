// Whether a repository of a registry holds a blob, without fetching it: a
// HEAD of /v2/<name>/blobs/<digest> (distribution spec "Checking if content
// exists in the registry").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "registry/options.h"

namespace xb::registry {

// The size the registry gives for blob DIGEST in REPOSITORY ("host[:port]/name",
// as a reference without tag), or nullopt when it answers 404. Throws
// xb::Error: bad_input for a bad REPOSITORY, runtime for any other answer,
// authentication and network failures.
std::optional<uint64_t> blob_size(const std::string& repository, const std::string& digest,
                                  const RegistryOptions& options);

}  // namespace xb::registry
