// Publishing an image from an OCI layout to a registry: blobs first (HEAD,
// skip what exists; mount from another repository of the same registry when
// the cache knows one; otherwise a chunked upload that resumes after a broken
// connection), then the platform manifests, then the index under the tag;
// then the referrers the layout lists for any of them (OCI 1.1 artifacts,
// found by the referrers tag schema: oci/artifact_writer.h): each artifact
// manifest PUT by digest, and, when the registry does not answer OCI-Subject
// (it has no referrers API), the `sha256-<hex>` index of the distribution
// spec 1.1 fallback: what the registry holds under that tag, plus ours.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "registry/options.h"

namespace xb::registry {

struct PushResult {
  std::string reference;    // fully qualified, as pushed: "127.0.0.1:5000/orders-api:1.4.2"
  std::string name;         // without tag: "127.0.0.1:5000/orders-api" (name@digest pins it)
  std::string digest;       // of what the tag now points to (index or manifest)
  std::string media_type;
  uint64_t size = 0;
  uint64_t bytes_uploaded = 0;  // request body bytes sent: blobs, retries and manifests
  int blobs_uploaded = 0;
  int blobs_existing = 0;       // HEAD said the registry had them
  int blobs_mounted = 0;        // cross-repository mounts
  int manifests = 0;            // manifests and indexes PUT
  int resumed = 0;              // uploads continued where the registry had got to, after a broken connection
  int restarted = 0;            // uploads begun again because the registry dropped the broken one
  int referrers = 0;            // artifact manifests pushed (SBOM, provenance, ...)
  int referrers_tags = 0;       // sha256-<hex> referrers indexes PUT, for a registry without the referrers API
};

// Blobs the layout lists without holding them (the image layout allows it:
// "the missing blobs SHOULD be fulfilled by an external blob store"): digest
// -> the repository ("host[:port]/name") that holds it. Such a blob is
// skipped when REF's repository has it, else mounted from there (same
// registry only); it is never uploaded.
using RemoteBlobs = std::map<std::string, std::string>;

// Pushes the image tagged TAG_IN_LAYOUT (empty: the only one) in the OCI
// layout LAYOUT_DIR to REF ("registry/repo:tag"). Throws xb::Error: runtime
// (1) for registry, network and auth failures and for a remote blob that is
// neither in REF's repository nor mountable, bad_input (2) for a bad REF or
// a layout without that tag.
PushResult push(const std::filesystem::path& layout_dir, const std::string& tag_in_layout, const std::string& ref,
                const RegistryOptions& options, const RemoteBlobs& remote = {});

}  // namespace xb::registry
