// layers/app.tar.gz from a real tree: what goes in, with which owner and
// mode, what stays out, and the same bytes from a copy with other mtimes.
#include "build/app_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <utime.h>

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::build {
namespace {

namespace fs = std::filesystem;
using oci::LayerEntry;

void put(const fs::path& p, const std::string& content, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
  fs::permissions(p, mode);
}

// The tree of a service: svc/xraybake.yaml beside publish/ and its rubbish.
void make_tree(const fs::path& svc) {
  put(svc / "publish/App.dll", "dll");
  put(svc / "publish/App.pdb", "pdb");
  put(svc / "publish/run.sh", "#!/bin/sh\n", fs::perms(0700));
  put(svc / "publish/wwwroot/css/site.css", "body{}", fs::perms(0600));
  put(svc / "publish/wwwroot/js/site.js.map", "{}");
  put(svc / "publish/.git/HEAD", "ref");
  fs::create_directories(svc / "publish/empty");
  fs::create_symlink("App.dll", svc / "publish/current.dll");
  fs::create_symlink("/etc/passwd", svc / "publish/passwd");  // stored as a link, never read
  put(svc / "appsettings.json", "{\"a\":1}", fs::perms(0600));
}

const std::string kDescriptor =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: orders-api\n"
    "  base: oci:base\n"
    "  files:\n"
    "    - {from: publish/, to: /app}\n"
    "    - {from: appsettings.json, to: /app/appsettings.json, mode: \"0444\"}\n"
    "  exclude: [\"**/*.pdb\", \"**/*.map\", publish/.git/]\n";

Descriptor load(const fs::path& svc, const std::string& text = kDescriptor) {
  write_file(svc / "xraybake.yaml", text);
  return load_descriptor((svc / "xraybake.yaml").string());
}

std::string listing(const std::vector<LayerEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", e.mode);
    out += e.path + " " + (e.type == LayerEntry::Type::directory ? "d" : e.type == LayerEntry::Type::symlink ? "l" : "f") +
           " " + mode + " " + std::to_string(e.uid) + ":" + std::to_string(e.gid) +
           (e.type == LayerEntry::Type::symlink ? " -> " + e.data : "") + "\n";
  }
  return out;
}

TEST(AppLayer, TakesTheTreeWithRootOwnersNormalModesAndExcludes) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  auto entries = app_layer_entries(load(tmp / "svc"), {});
  EXPECT_EQ(listing(entries),
            "/app d 0755 0:0\n"
            "/app/App.dll f 0644 0:0\n"
            "/app/appsettings.json f 0444 0:0\n"
            "/app/current.dll l 0777 0:0 -> App.dll\n"
            "/app/empty d 0755 0:0\n"
            "/app/passwd l 0777 0:0 -> /etc/passwd\n"
            "/app/run.sh f 0755 0:0\n"
            "/app/wwwroot d 0755 0:0\n"
            "/app/wwwroot/css d 0755 0:0\n"
            "/app/wwwroot/css/site.css f 0644 0:0\n"
            "/app/wwwroot/js d 0755 0:0\n");
}

// Reads every streamed file, as the layer writer does.
std::string contents(std::vector<LayerEntry>& entries, const std::string& path) {
  for (auto& e : entries)
    if (e.path == path) {
      std::string out;
      char buf[4];
      while (size_t n = e.stream(buf, sizeof buf)) out.append(buf, n);
      EXPECT_EQ(out.size(), e.size);
      return out;
    }
  return "(none)";
}

TEST(AppLayer, FilesAreReadWhenWrittenAndMustNotChangeMeanwhile) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  auto entries = app_layer_entries(load(tmp / "svc"), {});
  EXPECT_EQ(contents(entries, "/app/run.sh"), "#!/bin/sh\n");
  put(tmp / "svc/publish/App.dll", "longer now");
  try {
    contents(entries, "/app/App.dll");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("changed while the app layer was written"), std::string::npos);
  }
}

TEST(AppLayer, SameBytesTwiceAndFromACopyWithOtherTimes) {
  test::TempDir tmp;
  make_tree(tmp / "a/svc");
  auto digest = [&](const fs::path& svc, const std::string& name) {
    return oci::write_layer(tmp / name, app_layer_entries(load(svc), {}), 1700000000).digest;
  };
  std::string first = digest(tmp / "a/svc", "1.tar.gz");
  EXPECT_EQ(digest(tmp / "a/svc", "2.tar.gz"), first);
  EXPECT_EQ(read_file(tmp / "1.tar.gz"), read_file(tmp / "2.tar.gz"));
  // A copy elsewhere, made in another order, every file and directory with another mtime.
  fs::create_directories(tmp / "b");
  fs::copy(tmp / "a/svc", tmp / "b/svc", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const auto& e : fs::recursive_directory_iterator(tmp / "b/svc")) {
    struct timespec times[2] = {{123456789, 0}, {123456789, 0}};
    ::utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  EXPECT_EQ(digest(tmp / "b/svc", "3.tar.gz"), first);
}

TEST(AppLayer, SkipsOutputsInsideTheTree) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  put(tmp / "svc/out" / std::string(kOutputMarker), "");
  put(tmp / "svc/out/layers/app.tar.gz", "old");
  put(tmp / "svc/.out.partial-x/layers/app.tar.gz", "new");
  put(tmp / "svc/src/index.js", "js");
  Descriptor d = load(tmp / "svc", kDescriptor.substr(0, kDescriptor.find("  files")) +
                                       "  files: [{from: ., to: /app}]\n  exclude: [\"**/*.pdb\", publish/.git/]\n");
  AppLayerInput in;
  in.skip = {tmp / "svc/.out.partial-x"};
  std::string list = listing(app_layer_entries(d, in));
  EXPECT_NE(list.find("/app/src/index.js f"), std::string::npos) << list;
  EXPECT_EQ(list.find("/app/out"), std::string::npos) << list;
  EXPECT_EQ(list.find("partial"), std::string::npos) << list;
  // Excludes are relative to the descriptor's directory here too.
  EXPECT_EQ(list.find("App.pdb"), std::string::npos) << list;
  EXPECT_EQ(list.find("/app/publish/.git"), std::string::npos) << list;
}

TEST(AppLayer, ANegatedPatternBringsAFileBackFromAnExcludedDirectory) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  auto entries = app_layer_entries(
      load(tmp / "svc", kDescriptor.substr(0, kDescriptor.find("  exclude")) +
                            "  exclude: [publish/wwwroot/, \"!publish/wwwroot/css/site.css\"]\n"),
      {});
  std::string list = listing(entries);
  EXPECT_NE(list.find("/app/wwwroot/css/site.css f 0644"), std::string::npos) << list;
  EXPECT_EQ(list.find("site.js.map"), std::string::npos) << list;
}

Diagnostic refusal(const Descriptor& d, const AppLayerInput& in) {
  try {
    app_layer_entries(d, in);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    if (!e.diagnostics().empty()) return e.diagnostics()[0];
    return Diagnostic{"", 0, 0, e.what()};
  }
  return Diagnostic{"", 0, 0, "accepted"};
}

TEST(AppLayer, WhatXraybakesLayersHoldIsRefusedAtTheEntry) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  Descriptor d = load(tmp / "svc");
  AppLayerInput in;
  in.reserved = {"/app/run.sh"};
  auto diag = refusal(d, in);
  EXPECT_EQ(diag.line, 6);
  EXPECT_EQ(diag.column, 7);
  EXPECT_EQ(diag.message,
            "service.files[0] (from publish/): /app/run.sh would replace /app/run.sh, which xraybake's own layers put in "
            "the image; give the app its own directory, e.g. to: /app");
  in.reserved = {"/app/appsettings.json/x"};
  diag = refusal(d, in);
  EXPECT_EQ(diag.line, 7);
  EXPECT_NE(diag.message.find("would hide /app/appsettings.json/x"), std::string::npos) << diag.message;
  in.reserved = {"/var/log/xray"};
  d.service.files[0].to = "/var/log/xray/app";
  diag = refusal(d, in);
  EXPECT_NE(diag.message.find("would replace /var/log/xray"), std::string::npos) << diag.message;
}

TEST(AppLayer, AFileAndADirectoryAtOnePathAreRefused) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  Descriptor d = load(tmp / "svc");
  d.service.files[1].to = "/app/wwwroot";
  auto diag = refusal(d, {});
  EXPECT_EQ(diag.line, 7);
  EXPECT_NE(diag.message.find("/app/wwwroot is a file here and a directory from an earlier entry"), std::string::npos)
      << diag.message;
}

TEST(AppLayer, AFifoIsRefusedWithAHint) {
  test::TempDir tmp;
  make_tree(tmp / "svc");
  ASSERT_EQ(::mkfifo((tmp / "svc/publish/pipe").c_str(), 0644), 0);
  auto diag = refusal(load(tmp / "svc"), {});
  EXPECT_NE(diag.message.find("pipe is a FIFO, which an image layer can not hold; add it to service.exclude"),
            std::string::npos) << diag.message;
}

}  // namespace
}  // namespace xb::build
