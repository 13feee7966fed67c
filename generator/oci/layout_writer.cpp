#include "oci/layout_writer.h"

#include "oci/digest.h"
#include "oci/layout.h"
#include "oci/media_types.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::oci {

LayoutWriter::LayoutWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_ / "blobs" / "sha256", ec);
  if (ec) fail_runtime("cannot create " + (dir_ / "blobs" / "sha256").string() + ": " + ec.message());
}

BlobRef LayoutWriter::put_json(const nlohmann::json& j, std::string media_type) {
  std::string text = j.dump();
  BlobRef ref{std::move(media_type), digest_of(text), text.size()};
  auto path = blob_path(dir_, ref.digest);
  if (!std::filesystem::exists(path)) write_file(path, text);
  return ref;
}

void LayoutWriter::put_file(const std::filesystem::path& file, const std::string& digest, uint64_t size) {
  auto path = blob_path(dir_, digest);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return;
  auto actual = std::filesystem::file_size(file, ec);
  if (ec) fail_input("blob " + digest + " is missing: " + file.string(), "the base image layout is incomplete");
  if (actual != size)
    fail_input(file.string() + " has " + std::to_string(actual) + " bytes, its descriptor says " + std::to_string(size),
               "the base image layout is damaged: pull or build it again");
  std::filesystem::create_hard_link(file, path, ec);
  if (!ec) return;
  std::filesystem::copy_file(file, path, ec);
  if (ec) fail_runtime("cannot copy " + file.string() + " to " + path.string() + ": " + ec.message());
}

void LayoutWriter::write_index(const nlohmann::json& entry) { oci::write_index(dir_, entry); }

}  // namespace xb::oci
