#include "util/file_seal.h"

#include <sys/stat.h>

namespace xb {

std::optional<FileSeal> seal_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileSeal{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                  static_cast<uint64_t>(st.st_size),
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool seal_matches(const std::filesystem::path& path, const nlohmann::json& sealed) {
  auto now = seal_of(path);
  if (!now) return false;
  try {
    return sealed.get<FileSeal>() == *now;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

void to_json(nlohmann::json& j, const FileSeal& s) {
  j = {{"dev", s.dev}, {"inode", s.inode}, {"size", s.size}, {"mtime_ns", s.mtime_ns}};
}

void from_json(const nlohmann::json& j, FileSeal& s) {
  j.at("dev").get_to(s.dev);
  j.at("inode").get_to(s.inode);
  j.at("size").get_to(s.size);
  j.at("mtime_ns").get_to(s.mtime_ns);
}

}  // namespace xb
