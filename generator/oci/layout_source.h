// An image in an OCI image layout on disk as an ImageSource: the entry a tag
// names (or the only image), blobs by digest, and its referrers by the
// referrers tag schema the layout lists them with (oci/artifact_writer.h).
#pragma once

#include <filesystem>
#include <string>

#include "oci/image_source.h"

namespace xb::oci {

class LayoutSource : public ImageSource {
 public:
  // TAG: the ref.name to read; empty: "latest" or the only image (find_tagged).
  LayoutSource(std::filesystem::path dir, std::string tag);

  std::string describe() const override;
  Document root() override;
  Document manifest(const std::string& digest, int64_t size) override { return blob(digest, size); }
  Document blob(const std::string& digest, int64_t size) override;
  nlohmann::json referrers(const std::string& subject, std::string& how) override;

 private:
  std::filesystem::path dir_;
  std::string tag_;
  nlohmann::json index_;  // index.json
};

}  // namespace xb::oci
