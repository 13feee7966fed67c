#include "deb/copyright.h"

#include <sstream>
#include <vector>

namespace xb::deb {
namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

// The paragraphs (blank-line separated) as key -> first line of the value.
std::vector<std::map<std::string, std::string>> paragraphs(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out(1);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t' || line[0] == '#') continue;  // continuation lines, comments
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.back().emplace(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

}  // namespace

std::string dep5_license(const std::string& text) {
  auto paras = paragraphs(text);
  if (paras.empty()) return "";
  auto format = paras[0].find("Format");
  if (format == paras[0].end() || format->second.find("copyright-format") == std::string::npos) return "";
  if (auto l = paras[0].find("License"); l != paras[0].end() && !l->second.empty()) return l->second;
  for (const auto& p : paras) {
    auto files = p.find("Files");
    auto l = p.find("License");
    if (files != p.end() && files->second == "*" && l != p.end()) return l->second;
  }
  return "";
}

std::string declared_license(const ControlInfo& info) {
  if (auto l = dep5_license(info.copyright); !l.empty()) return l;
  auto f = info.fields.find("License");
  return f == info.fields.end() ? "" : f->second;
}

}  // namespace xb::deb
