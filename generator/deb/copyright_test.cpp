#include "deb/copyright.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "deb/testing_deb.h"
#include "util/error.h"
#include "util/fs.h"

using namespace xb;
using namespace xb::deb;
using namespace xb::deb::testing;

namespace {

const char* kDep5 =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: aws-otel-collector\n"
    "\n"
    "Files: *\n"
    "Copyright: Amazon.com, Inc. or its affiliates\n"
    "License: Apache-2.0\n"
    " Licensed under the Apache License, Version 2.0 (the \"License\");\n"
    "\n"
    "Files: vendor/x/*\n"
    "License: MIT\n";

TEST(Copyright, Dep5FilesStarParagraph) { EXPECT_EQ(dep5_license(kDep5), "Apache-2.0"); }

TEST(Copyright, Dep5HeaderLicenseWins) {
  EXPECT_EQ(dep5_license("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
                         "License: MIT\n\nFiles: *\nLicense: Apache-2.0\n"),
            "MIT");
}

TEST(Copyright, FreeTextIsNotGuessedAt) {
  EXPECT_EQ(dep5_license("The real daemon is Copyright Amazon.com, Inc. or its affiliates, Apache-2.0.\n"), "");
  EXPECT_EQ(dep5_license(""), "");
  EXPECT_EQ(dep5_license("Format: something else\nLicense: MIT\n"), "");
}

TEST(Copyright, ControlLicenseFieldWhenTheCopyrightFileSaysNothing) {
  ControlInfo info;
  info.copyright = "free text";
  EXPECT_EQ(declared_license(info), "");
  info.fields["License"] = "Apache-2.0";
  EXPECT_EQ(declared_license(info), "Apache-2.0");
  info.copyright = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n";
  EXPECT_EQ(declared_license(info), "MIT") << "the copyright file first";
}

// read_control: control and copyright out of control.tar, data.tar never needed.
TEST(Copyright, ReadControlTakesTheControlFieldsAndTheCopyrightFile) {
  std::string control = make_tar({{"./", AE_IFDIR, 0755},
                                  {"./control", AE_IFREG, 0644,
                                   "Package: aws-otel-collector\nVersion: 0.43.1-1\nArchitecture: amd64\n"
                                   "Maintainer: AWS <aws@example.invalid>\nDescription: x\n more\n"},
                                  {"./copyright", AE_IFREG, 0644, kDep5}});
  // data.tar is garbage: read_control stops before it.
  std::string deb = make_ar({{"debian-binary", "2.0\n"}, {"control.tar.gz", control}, {"data.tar.gz", "not gzip"}});
  fs::path path = fs::temp_directory_path() / ("xb-copyright-test-" + std::to_string(::getpid()) + ".deb");
  write_file_atomic(path, deb);
  ControlInfo info = read_control(path, "https://example.invalid/a.deb");
  fs::remove(path);
  EXPECT_EQ(info.package, "aws-otel-collector");
  EXPECT_EQ(info.version, "0.43.1-1");
  EXPECT_EQ(info.fields["Maintainer"], "AWS <aws@example.invalid>");
  EXPECT_EQ(info.fields["Description"], "x");
  EXPECT_EQ(declared_license(info), "Apache-2.0");
}

TEST(Copyright, ReadControlRefusesWhatIsNotAPackage) {
  fs::path path = fs::temp_directory_path() / ("xb-copyright-test-bad-" + std::to_string(::getpid()) + ".deb");
  write_file_atomic(path, make_ar({{"debian-binary", "2.0\n"}, {"data.tar.gz", "x"}}));
  try {
    read_control(path, "https://example.invalid/b.deb");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("https://example.invalid/b.deb: no control.tar member"), std::string::npos)
        << e.what();
  }
  fs::remove(path);
}

}  // namespace
