// service.files and service.exclude (design.md "App files"): what goes into
// layers/app.tar.gz. Each `from` must exist inside the descriptor's directory
// (no absolute path, no "..", no symbolic link leading out of it); each `to`
// is an absolute path that leaves the paths xraybake's own layers need alone.
#include <filesystem>
#include <regex>

#include "descriptor/exclude_globs.h"
#include "descriptor/sections.h"
#include "util/strings.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kFileKeys{"from", "to", "mode"};

namespace {

namespace fs = std::filesystem;


// Where xraybake's layers and the kernel put things: `to` may be none of them
// nor inside one. (The build also refuses a path the agent or service layer holds.)
const std::vector<std::string> kReservedPaths{"/proc", "/sys", "/dev", "/etc/xraybake", "/usr/local/bin/xraybake-init"};

bool has_part(const std::string& path, const std::string& part) {
  auto parts = path_parts(path);
  return std::find(parts.begin(), parts.end(), part) != parts.end();
}

bool inside(const fs::path& path, const fs::path& dir) {
  auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

std::optional<std::string> read_from(Problems& p, const Field& f, const Descriptor& desc, AppFile& out) {
  auto s = read_string(p, f);
  if (!s) return std::nullopt;
  const std::string hint = "; give a file or directory relative to the descriptor's directory, e.g. publish/";
  if (s->empty()) {
    p.add(f.mark(), f.path + ": must not be empty" + hint);
    return std::nullopt;
  }
  if (s->front() == '/') {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is an absolute path" + hint);
    return std::nullopt;
  }
  if (has_part(*s, "..")) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " must not contain \"..\": the app comes from inside the descriptor's directory" + hint);
    return std::nullopt;
  }
  std::error_code ec;
  fs::path dir = fs::canonical(desc.dir.empty() ? "." : desc.dir, ec);
  if (ec) dir = desc.dir;
  fs::path source = fs::canonical(fs::path(desc.dir) / *s, ec);
  if (ec) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " does not exist (" + resolve_path(desc, *s) + ")" + hint +
                        " (build the app first, e.g. dotnet publish -o publish)");
    return std::nullopt;
  }
  if (source != dir && !inside(source, dir)) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " leads out of the descriptor's directory (to " + source.string() +
                        ") through a symbolic link; copy what the image needs inside it");
    return std::nullopt;
  }
  auto st = fs::status(source, ec);
  if (fs::is_directory(st)) {
    out.directory = true;
  } else if (!fs::is_regular_file(st)) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is neither a file nor a directory");
    return std::nullopt;
  }
  out.source = source.string();
  return s;
}

void read_to(Problems& p, const Field& f, AppFile& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (s->empty() || s->front() != '/') {
    p.add(f.mark(), f.path + ": " + f.quoted() + " must be an absolute path in the image, e.g. /app");
    return;
  }
  if (has_part(*s, "..") || has_part(*s, ".") || s->find("//") != std::string::npos) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not a clean path (no \".\", \"..\" or \"//\"), e.g. /app");
    return;
  }
  std::string to = *s;
  if (to.size() > 1 && to.back() == '/') {
    to.pop_back();
    if (!out.directory && !out.source.empty()) to += "/" + fs::path(out.source).filename().string();
  }
  if (to == "/") {
    p.add(f.mark(), f.path + ": \"/\" would spread the app over the base image's system; give it its own directory, e.g. /app");
    return;
  }
  for (const auto& r : kReservedPaths)
    if (to == r || to.starts_with(r + "/")) {
      p.add(f.mark(), f.path + ": " + f.quoted() + " is " + (to == r ? "" : "inside ") + r +
                          ", which the image needs for itself; put the app elsewhere, e.g. /app");
      return;
    }
  out.to = to;
}

void read_mode(Problems& p, const Field& f, uint32_t uid, AppFile& out) {
  auto s = read_string(p, f);
  if (!s) return;
  static const std::regex re("0?[0-7]{3}");
  if (!std::regex_match(*s, re)) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not an octal mode such as \"0644\" or \"0755\" (quote it)");
    return;
  }
  auto mode = static_cast<uint32_t>(std::stoul(*s, nullptr, 8));
  if (uid != 0 && !(mode & 0004)) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " does not let the service user read the file (it is owned by root, "
                        "the app runs as service.user); give others read, e.g. \"0644\"");
    return;
  }
  out.mode = mode;
}

}  // namespace

void read_app_files(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out) {
  auto items = read_list(p, f, "[{from: publish/, to: /app}]");
  if (!items) return;
  std::map<std::string, int> first_line;
  for (const auto& item : *items) {
    MapFields fields(p, item, kFileKeys);
    if (!fields.ok()) continue;
    AppFile file;
    file.line = item.mark().line + 1;
    file.column = item.mark().column + 1;
    auto from = fields.get("from");
    auto to = fields.get("to");
    if (!from || !to) {
      p.add(item.mark(), item.path + ": needs from and to, e.g. {from: publish/, to: /app}");
      continue;
    }
    auto from_text = read_from(p, *from, desc, file);
    bool ok = from_text.has_value();
    if (ok) file.from = *from_text;
    read_to(p, *to, file);
    if (auto mode = fields.get("mode")) read_mode(p, *mode, out.uid, file);
    if (!ok || file.to.empty()) continue;
    if (auto [seen, fresh] = first_line.emplace(file.to, to->mark().line + 1); !fresh) {
      p.add(to->mark(), to->path + ": " + file.to + " is already the target of the entry at line " +
                            std::to_string(seen->second) + "; give each entry its own path");
      continue;
    }
    out.files.push_back(std::move(file));
  }
}

void read_exclude(Problems& p, const Field& f, ServiceSpec& out) {
  auto items = read_list(p, f, "[\"**/*.pdb\", .git/]");
  if (!items) return;
  for (const auto& item : *items) {
    auto s = read_string(p, item);
    if (!s) continue;
    if (auto problem = exclude_pattern_problem(*s))
      p.add(item.mark(), item.path + ": " + item.quoted() + " " + *problem);
    else
      out.exclude.push_back(*s);
  }
}

}  // namespace xb
